#include "worker_threads.h"

#include <QCoreApplication>
#include <QEvent>
#include <QObject>
#include <QThread>

#include <deque>

namespace corral::ui {

namespace {
class UiThreadMailbox;
UiThreadMailbox& ui_thread_mailbox();
}  // namespace

WorkerPool::WorkerPool(int threads) {
    // The mailbox its tasks post to is made here, on the thread that makes the pool (the UI
    // thread), before any task runs: made by a worker's first post, the UI thread would reach
    // it through Qt's event queue only, which orders nothing that ThreadSanitizer sees.
    ui_thread_mailbox();
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
        // Should a worker make it after all (a pool made off the UI thread), it still lives there.
        auto* application = QCoreApplication::instance();
        if (application && thread() != application->thread()) moveToThread(application->thread());
    }

    void post(std::function<void()> task) {
        QEvent* drain = nullptr;
        {
            // The event too is made under the mutex, which event() takes before reading it.
            const std::lock_guard lock(mutex_);
            tasks_.push_back(std::move(task));
            drain = new QEvent(kDrainEvent);
        }
        QCoreApplication::postEvent(this, drain);
    }

protected:
    bool event(QEvent* event) override {
        std::function<void()> task;
        QEvent::Type type = QEvent::None;
        {
            const std::lock_guard lock(mutex_);
            type = event->type();
            if (type == kDrainEvent && !tasks_.empty()) {
                task = std::move(tasks_.front());
                tasks_.pop_front();
            }
        }
        if (type != kDrainEvent) return QObject::event(event);
        if (task) task();
        return true;
    }

private:
    static constexpr QEvent::Type kDrainEvent = static_cast<QEvent::Type>(QEvent::User + 731);
    std::mutex mutex_;
    std::deque<std::function<void()>> tasks_;
};

UiThreadMailbox& ui_thread_mailbox() {
    static UiThreadMailbox mailbox;
    return mailbox;
}

}  // namespace

WorkerPool& background_pool() {
    static WorkerPool pool(2);
    return pool;
}

void post_to_ui_thread(std::function<void()> task) {
    if (!QCoreApplication::instance()) return;
    ui_thread_mailbox().post(std::move(task));
}

}  // namespace corral::ui
