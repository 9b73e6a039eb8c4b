#include "worker_threads.h"

#include <QCoreApplication>
#include <QEvent>
#include <QObject>
#include <QThread>

#include <deque>

namespace corral::ui {

WorkerPool::WorkerPool(int threads) {
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        tasks_.clear();
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void WorkerPool::start(std::function<void()> task, int priority) {
    {
        const std::lock_guard lock(mutex_);
        tasks_.emplace(std::pair{-priority, sequence_++}, std::move(task));
    }
    wake_.notify_one();
}

void WorkerPool::wait_for_done() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return tasks_.empty() && running_ == 0; });
}

void WorkerPool::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (stopping_) return;
        auto task = std::move(tasks_.begin()->second);
        tasks_.erase(tasks_.begin());
        ++running_;
        lock.unlock();
        task();
        task = nullptr;  // what it holds goes before the pool says it is idle
        lock.lock();
        --running_;
        if (tasks_.empty() && running_ == 0) idle_.notify_all();
    }
}

namespace {

// Lives on the UI thread; each posted QEvent of kDrainEvent runs one task, so that a modal
// dialog's event loop opened by one task still runs the tasks after it.
class UiThreadMailbox : public QObject {
public:
    UiThreadMailbox() {
        // Made by the first post, which may come from a worker.
        if (thread() != QCoreApplication::instance()->thread()) moveToThread(QCoreApplication::instance()->thread());
    }

    void post(std::function<void()> task) {
        {
            const std::lock_guard lock(mutex_);
            tasks_.push_back(std::move(task));
        }
        // The event carries nothing of ours: the task itself crosses under the mutex.
        QCoreApplication::postEvent(this, new QEvent(kDrainEvent));
    }

protected:
    bool event(QEvent* event) override {
        if (event->type() != kDrainEvent) return QObject::event(event);
        std::function<void()> task;
        {
            const std::lock_guard lock(mutex_);
            if (tasks_.empty()) return true;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
        return true;
    }

private:
    static constexpr QEvent::Type kDrainEvent = static_cast<QEvent::Type>(QEvent::User + 731);
    std::mutex mutex_;
    std::deque<std::function<void()>> tasks_;
};

}  // namespace

WorkerPool& background_pool() {
    static WorkerPool pool(2);
    return pool;
}

void post_to_ui_thread(std::function<void()> task) {
    if (!QCoreApplication::instance()) return;
    static UiThreadMailbox mailbox;
    mailbox.post(std::move(task));
}

}  // namespace corral::ui
