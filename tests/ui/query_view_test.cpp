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

QueryCard sample_card(const Dataset& dataset) {
    QueryCard card;
    card.item = 0;
    card.round_size = 20;
    card.position = 3;
    card.answered = 3;
    card.hardness = -0.41;
    card.representativeness = 1.93;
    card.diversity = -0.22;
    // Five candidate clusters, each shown by four images of one class.
    for (int cluster = 0; cluster < 5; ++cluster) {
        QueryCandidateCard candidate{cluster, QString::fromStdString(dataset.class_names()[cluster]), {}};
        for (std::int64_t i = 1; i < dataset.size() && candidate.exemplars.size() < 4; ++i) {
            if (dataset.labels()[static_cast<std::size_t>(i)] == cluster) candidate.exemplars.push_back(i);
        }
        card.candidates.push_back(candidate);
    }
    return card;
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
    view.show_query(sample_card(*dataset));
    QSignalSpy answers(&view, &QueryView::answered);
    QSignalSpy undos(&view, &QueryView::undo_requested);

    QTest::keyClick(&view, Qt::Key_3);
    REQUIRE(answers.count() == 1);
    CHECK(answers.at(0).at(0).value<QueryAnswerKind>() == QueryAnswerKind::positive);
    CHECK(answers.at(0).at(1).toInt() == 2);
    QTest::keyClick(&view, Qt::Key_0);
    QTest::keyClick(&view, Qt::Key_N);
    CHECK(answers.at(1).at(0).value<QueryAnswerKind>() == QueryAnswerKind::negative);
    CHECK(answers.at(2).at(0).value<QueryAnswerKind>() == QueryAnswerKind::negative);
    QTest::keyClick(&view, Qt::Key_S);
    CHECK(answers.at(3).at(0).value<QueryAnswerKind>() == QueryAnswerKind::skip);
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
