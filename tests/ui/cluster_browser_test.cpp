#include <catch2/catch.hpp>

#include <QListView>
#include <QSignalSpy>
#include <QtTest/QTest>
#include <QThread>
#include <QElapsedTimer>


#include "cluster_browser.h"
#include "corral/core/dataset.h"
#include "corral/ui/job_runner.h"
#include "test_support.h"
#include "thumbnail_cache.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

std::shared_ptr<const Dataset> open_fashion_sample(std::int64_t limit) {
    DatasetOptions options;
    options.limit = limit;
    auto dataset = open_dataset("fashion-mnist:test", options);
    REQUIRE(dataset);
    return std::shared_ptr<const Dataset>(std::move(*dataset));
}

}  // namespace

TEST_CASE("job runner delivers results on the UI thread and cancels on request", "[ui]") {
    JobRunner runner;
    QObject receiver;
    std::optional<Expected<int>> delivered;
    Qt::HANDLE delivered_on = nullptr;
    runner.run<int>(
        QStringLiteral("count"),
        [](const JobContext& job) -> Expected<int> {
            for (int i = 0; i < 10; ++i) job.report(i / 10.0, "counting");
            return 42;
        },
        &receiver,
        [&](Expected<int> result) {
            delivered = std::move(result);
            delivered_on = QThread::currentThreadId();
        });
    REQUIRE(testing::wait_until([&] { return delivered.has_value(); }));
    CHECK(**delivered == 42);
    CHECK(delivered_on == QThread::currentThreadId());

    // A job that runs until stopped; cancel() makes it return `cancelled`, and the UI thread kept
    // processing events meanwhile.
    std::optional<Expected<int>> stopped;
    const int id = runner.run<int>(
        QStringLiteral("forever"),
        [](const JobContext& job) -> Expected<int> {
            while (!job.stop_requested()) QThread::msleep(1);
            return cancelled_error();
        },
        &receiver, [&](Expected<int> result) { stopped = std::move(result); });
    QTest::qWait(50);
    CHECK(runner.busy());
    runner.cancel(id);
    REQUIRE(testing::wait_until([&] { return stopped.has_value(); }));
    CHECK(stopped->error().code == ErrorCode::cancelled);
    REQUIRE(testing::wait_until([&] { return !runner.busy(); }));

    // Results for a receiver that is gone are dropped, not delivered to a dangling object.
    bool called = false;
    {
        QObject short_lived;
        runner.run<int>(QStringLiteral("late"), [](const JobContext&) -> Expected<int> { QThread::msleep(30); return 1; },
                        &short_lived, [&](Expected<int>) { called = true; });
    }
    REQUIRE(testing::wait_until([&] { return !runner.busy(); }));
    CHECK_FALSE(called);

    // An exception inside a job becomes an internal error.
    std::optional<Expected<int>> thrown;
    runner.run<int>(QStringLiteral("throws"), [](const JobContext&) -> Expected<int> { throw std::runtime_error("boom"); },
                    &receiver, [&](Expected<int> result) { thrown = std::move(result); });
    REQUIRE(testing::wait_until([&] { return thrown.has_value(); }));
    CHECK(thrown->error().code == ErrorCode::internal);
}

TEST_CASE("cluster browser lists clusters, shows thumbnails, renames and moves", "[ui]") {
    auto dataset = open_fashion_sample(2000);
    ThumbnailCache thumbnails(dataset, 56);
    ClusterBrowser browser(&thumbnails);
    ClusteringView clustering;
    for (int label : dataset->labels()) clustering.assignment.push_back(label);
    for (const auto& name : dataset->class_names()) clustering.names.push_back(QString::fromStdString(name));
    browser.set_clustering(clustering);
    browser.resize(1000, 640);
    browser.show();

    std::vector<qint64> class_sizes(10, 0);
    for (int label : dataset->labels()) ++class_sizes[static_cast<std::size_t>(label)];
    CHECK(browser.cluster_model()->rowCount() == 10);
    CHECK(browser.cluster_model()->sizes() == class_sizes);
    browser.select_cluster(7);
    CHECK(browser.image_model()->rowCount() == class_sizes[7]);
    // Thumbnails arrive asynchronously; wait until the first visible ones are in.
    const QModelIndex first = browser.image_model()->index(0);
    REQUIRE(testing::wait_until([&] { return !thumbnails.thumbnail(browser.image_model()->item_at(0)).isNull(); }));
    CHECK(first.data(Qt::DecorationRole).value<QPixmap>().width() == 56);
    QTest::qWait(300);
    testing::save_screenshot(&browser, QStringLiteral("cluster-browser"));

    QSignalSpy renamed(&browser, &ClusterBrowser::cluster_renamed);
    REQUIRE(browser.cluster_model()->setData(browser.cluster_model()->index(7), QStringLiteral("Sneakers"), Qt::EditRole));
    REQUIRE(renamed.count() == 1);
    CHECK(renamed.at(0).at(1).toString() == QStringLiteral("Sneakers"));
    // The controller decides: the list shows the name it sends back, in place (focus and row stay).
    browser.cluster_view()->setCurrentIndex(browser.cluster_model()->index(7));
    clustering.names[7] = QStringLiteral("Sneakers");
    browser.set_clustering(clustering);
    CHECK(browser.cluster_model()->index(7).data().toString().startsWith(QStringLiteral("Sneakers")));
    CHECK(browser.cluster_view()->currentIndex().row() == 7);
    CHECK(browser.selected_cluster() == 7);

    QSignalSpy opened(&browser, &ClusterBrowser::image_opened);
    Q_EMIT browser.image_view()->activated(browser.image_model()->index(3));
    REQUIRE(opened.count() == 1);
    CHECK(opened.at(0).at(0).toLongLong() == browser.image_model()->item_at(3));
}

TEST_CASE("cluster browser stays virtual for a 70k-image cluster", "[ui]") {
    DatasetOptions options;
    auto opened = open_dataset("fashion-mnist", options);
    REQUIRE(opened);
    std::shared_ptr<const Dataset> dataset(std::move(*opened));
    ThumbnailCache thumbnails(dataset, 48);
    ClusterBrowser browser(&thumbnails);
    ClusteringView clustering;
    clustering.assignment.assign(static_cast<std::size_t>(dataset->size()), 0);
    clustering.names = {QStringLiteral("All")};
    browser.resize(900, 600);
    browser.show();
    QElapsedTimer clock;
    clock.start();
    browser.set_clustering(clustering);
    QCoreApplication::processEvents();
    CHECK(browser.image_model()->rowCount() == 70000);
    // Scrolling to the end must not decode 70k images: only the visible ones are requested.
    browser.image_view()->scrollToBottom();
    QCoreApplication::processEvents();
    CHECK(clock.elapsed() < 5000);
}
