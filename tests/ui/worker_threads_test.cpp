// ui's own hand-overs between threads (worker_threads.h): the pool's order, and tasks posted to
// the UI thread from several workers arriving there, each worker's in its order.
#include <catch2/catch.hpp>

#include <QCoreApplication>
#include <QThread>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "ui_test_support.h"
#include "worker_threads.h"

using namespace corral;
using namespace corral::ui;

TEST_CASE("a worker pool runs the highest priority first, the oldest first among equals", "[unit]") {
    std::vector<int> order;
    std::mutex order_mutex;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> blocking{false};
    {
        auto owned = std::make_unique<WorkerPool>(1);
        WorkerPool& pool = *owned;
        pool.start([&] {
            blocking = true;
            released.wait();  // holds the one thread while the others queue up
        });
        REQUIRE(testing::wait_until([&] { return blocking.load(); }, 5000));
        const auto record = [&](int value) {
            return [&, value] {
                const std::lock_guard lock(order_mutex);
                order.push_back(value);
            };
        };
        pool.start(record(1), 0);
        pool.start(record(2), 5);
        pool.start(record(3), 0);
        pool.start(record(4), 5);
        release.set_value();
        pool.wait_for_done();
        CHECK(order == std::vector<int>{2, 4, 1, 3});
        // The pool still takes work after being idle.
        pool.start(record(5));
        pool.wait_for_done();
    }
    CHECK(order.back() == 5);
}

TEST_CASE("a pool that goes drops the tasks that have not started and waits for the running one", "[unit]") {
    std::atomic<int> ran{0};
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> blocking{false};
    std::thread releaser;
    {
        auto owned = std::make_unique<WorkerPool>(1);
        WorkerPool& pool = *owned;
        pool.start([&] {
            blocking = true;
            released.wait();
            ++ran;
        });
        REQUIRE(testing::wait_until([&] { return blocking.load(); }, 5000));
        for (int i = 0; i < 5; ++i) pool.start([&] { ran += 10; });
        releaser = std::thread([&] {
            QThread::msleep(50);
            release.set_value();
        });
    }
    releaser.join();
    CHECK(ran == 1);
}

TEST_CASE("tasks posted from workers run on the UI thread, each worker's in its order", "[unit]") {
    constexpr int kWorkers = 3, kTasks = 200;
    std::vector<std::vector<int>> seen(kWorkers);
    std::atomic<int> wrong_thread{0};
    int arrived = 0;
    QThread* ui_thread = QCoreApplication::instance()->thread();
    {
        auto owned = std::make_unique<WorkerPool>(kWorkers);
        WorkerPool& pool = *owned;
        for (int worker = 0; worker < kWorkers; ++worker) {
            pool.start([&, worker] {
                for (int task = 0; task < kTasks; ++task) {
                    post_to_ui_thread([&, worker, task] {
                        if (QThread::currentThread() != ui_thread) ++wrong_thread;
                        seen[static_cast<std::size_t>(worker)].push_back(task);
                        ++arrived;
                    });
                }
            });
        }
        pool.wait_for_done();
    }
    REQUIRE(testing::wait_until([&] { return arrived == kWorkers * kTasks; }, 10000));
    CHECK(wrong_thread == 0);
    for (const auto& tasks : seen) {
        REQUIRE(tasks.size() == static_cast<std::size_t>(kTasks));
        for (int task = 0; task < kTasks; ++task) CHECK(tasks[static_cast<std::size_t>(task)] == task);
    }
}
