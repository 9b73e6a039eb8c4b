#pragma once
// The two hand-overs between the UI thread and ui/'s workers, made with std::mutex and
// std::condition_variable, which ThreadSanitizer sees: Qt's thread pool and event queue
// synchronise with futexes inside Qt, which is not instrumented, so a hand-over through them
// looks like a data race to it (scripts/tsan.sh, docs/architecture.md).
#include <QObject>
#include <QPointer>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace corral::ui {

// Runs tasks on `threads` threads of its own, the highest priority first (the oldest first
// among equals). Thread-safe. The destructor drops the tasks that have not started and waits
// for the running ones.
class WorkerPool {
public:
    explicit WorkerPool(int threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void start(std::function<void()> task, int priority = 0);
    // Blocks until no task is waiting or running (shutdown and tests only).
    void wait_for_done();

private:
    void work();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    // Ordered by (-priority, sequence): begin() is the next task.
    std::map<std::pair<int, std::uint64_t>, std::function<void()>> tasks_;
    std::uint64_t sequence_ = 0;
    int running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// Runs `task` on the UI thread's event loop, after the tasks posted before it (from any thread).
// Thread-safe; needs the QCoreApplication. A task posted once the application has gone is dropped.
void post_to_ui_thread(std::function<void()> task);

// Two threads for the dialogs' short background work (surveying a folder, measuring a speed);
// jobs on a project go through the JobRunner instead.
WorkerPool& background_pool();

// Runs `work` on background_pool() and then `done(result)` on the UI thread, unless `receiver`
// (a UI-thread object) was destroyed meanwhile. `work` must own what it reads.
template <typename Work, typename Done>
void run_in_background(QObject* receiver, Work work, Done done) {
    QPointer<QObject> alive(receiver);
    background_pool().start([alive, work = std::move(work), done = std::move(done)]() mutable {
        auto result = std::make_shared<decltype(work())>(work());
        post_to_ui_thread([alive, result, done] {
            if (alive) done(std::move(*result));
        });
    });
}

}  // namespace corral::ui
