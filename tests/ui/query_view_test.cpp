#include <catch2/catch.hpp>

#include <QLabel>
#include <QSignalSpy>
#include <QtTest/QTest>

#include "corral/core/dataset.h"
#include "query_view.h"
#include "thumbnail_cache.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

SessionQuery sample_query(const Dataset& dataset) {
    SessionQuery query;
    query.sample = 0;
    query.round_size = 20;
    query.position = 3;
    query.answered_in_round = 3;
    query.hardness = -0.41;
    query.representativeness = 1.93;
    query.diversity = -0.22;
    // Five candidate clusters, each shown by four images of one class.
    for (int cluster = 0; cluster < 5; ++cluster) {
        SessionCandidate candidate;
        candidate.cluster = cluster;
        candidate.similarity = 0.9 - 0.05 * cluster;
        for (std::int64_t i = 1; i < dataset.size() && candidate.exemplars.size() < 4; ++i) {
            if (dataset.labels()[static_cast<std::size_t>(i)] == cluster) candidate.exemplars.push_back(i);
        }
        query.candidates.push_back(candidate);
    }
    return query;
}

// The classes as the clustering the question is about.
ClusteringView class_clustering(const Dataset& dataset) {
    ClusteringView clustering;
    clustering.assignment = dataset.labels();
    for (const auto& name : dataset.class_names()) clustering.names.push_back(QString::fromStdString(name));
    return clustering;
}

}  // namespace

TEST_CASE("query view answers from the keyboard", "[ui]") {
    DatasetOptions options;
    options.limit = 300;
    auto opened = open_dataset("fashion-mnist:test", options);
    REQUIRE(opened);
    std::shared_ptr<const Dataset> dataset(std::move(*opened));
    ThumbnailCache thumbnails(dataset, 96);
    QueryView view(&thumbnails);
    view.resize(1000, 640);
    view.show();
    view.show_query(sample_query(*dataset), class_clustering(*dataset));
    QSignalSpy answers(&view, &QueryView::answered);
    QSignalSpy undos(&view, &QueryView::undo_requested);

    QTest::keyClick(&view, Qt::Key_3);
    REQUIRE(answers.count() == 1);
    CHECK(answers.at(0).at(0).value<AnswerKind>() == AnswerKind::positive);
    CHECK(answers.at(0).at(1).toInt() == 2);
    QTest::keyClick(&view, Qt::Key_0);
    QTest::keyClick(&view, Qt::Key_N);
    CHECK(answers.at(1).at(0).value<AnswerKind>() == AnswerKind::negative);
    CHECK(answers.at(2).at(0).value<AnswerKind>() == AnswerKind::negative);
    QTest::keyClick(&view, Qt::Key_S);
    CHECK(answers.at(3).at(0).value<AnswerKind>() == AnswerKind::skip);
    QTest::keyClick(&view, Qt::Key_9);  // no ninth candidate: ignored
    CHECK(answers.count() == 4);
    QTest::keyClick(&view, Qt::Key_Z, Qt::ControlModifier);
    QTest::keyClick(&view, Qt::Key_Backspace);
    CHECK(undos.count() == 2);

    REQUIRE(testing::wait_until([&] { return !thumbnails.thumbnail(view.current().candidates[4].exemplars[3]).isNull(); }));
    QTest::qWait(200);
    testing::save_screenshot(&view, QStringLiteral("query-view"));

    view.show_message(QStringLiteral("Round complete."));
    QTest::keyClick(&view, Qt::Key_1);
    CHECK(answers.count() == 4);  // no query shown: digits do nothing
}
