// The walkthrough issue #7 promises: from the welcome screen to better clusters on the bundled
// Fashion-MNIST with the keyboard alone, the window answering events while the engine works, and
// nothing lost by closing and reopening. The simulated user answers correctly, by keys, from the
// ground truth of the image asked about and of the candidate clusters shown.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QtTest/QTest>

#include <algorithm>
#include <cstdio>

#include "corral/core/interactive_session.h"
#include "corral/core/metrics.h"
#include "corral/core/project.h"
#include "corral/ui/main_window.h"
#include "metrics_chart.h"
#include "new_project_dialog.h"
#include "project_view.h"
#include "query_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"
#include "welcome_view.h"

using namespace corral;
using namespace corral::ui;

namespace {

// The walkthrough's settings, chosen in the new-project dialog: the 10 000 test images of
// Fashion-MNIST, the default encoder (pixels) and clusters (10), rounds of kQuestionsPerRound.
constexpr std::string_view kImages = "fashion-mnist:test";
constexpr int kQuestionsPerRound = 250;
constexpr int kRounds = 2;

QWidget* focused() { return QApplication::focusWidget(); }

// Presses Tab until the focused widget satisfies `wanted` (at most 40 presses); `visited`, when
// given, receives the class names of the widgets the focus went through.
bool tab_to(const std::function<bool(QWidget*)>& wanted, QStringList* visited = nullptr) {
    for (int press = 0; press < 40; ++press) {
        if (!focused()) return false;
        if (visited) *visited << QString::fromLatin1(focused()->metaObject()->className());
        if (wanted(focused())) return true;
        QTest::keyClick(focused(), Qt::Key_Tab);
    }
    return focused() && wanted(focused());
}

// The label text of the form row holding `widget` (directly or through its row container).
QString form_label_of(QWidget* widget, QFormLayout* form) {
    for (QWidget* candidate = widget; candidate != nullptr; candidate = candidate->parentWidget()) {
        if (auto* label = qobject_cast<QLabel*>(form->labelForField(candidate))) return label->text();
    }
    return {};
}

// Replaces the focused field's text by typing.
void type_over(const QString& text) {
    QTest::keyClick(focused(), Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(focused(), text);
}

// Fills the modal new-project dialog by keys and presses Enter; records what went wrong, if anything.
struct DialogDriver {
    QString project_folder;
    QStringList problems;
    bool accepted = false;

    void run() {
        auto* dialog = qobject_cast<NewProjectDialog*>(QApplication::activeModalWidget());
        if (!dialog) {
            problems << QStringLiteral("no new-project dialog is showing");
            return;
        }
        auto* form = dialog->findChild<QFormLayout*>();
        const auto in_row = [form](const QString& label) {
            return [form, label](QWidget* widget) {
                return (qobject_cast<QLineEdit*>(widget) || qobject_cast<QSpinBox*>(widget)) &&
                       form_label_of(widget, form) == label;
            };
        };
        const auto fill = [&](const QString& label, const QString& text) {
            if (!tab_to(in_row(label))) {
                problems << QStringLiteral("Tab never reached the field '%1'").arg(label);
                return;
            }
            type_over(text);
        };
        // The dialog came with Fashion-MNIST chosen; its test half is picked by typing in the list.
        if (!tab_to([](QWidget* widget) { return widget->objectName() == QStringLiteral("fashion_half"); })) {
            problems << QStringLiteral("Tab never reached the Fashion-MNIST half");
        } else {
            QTest::keyClicks(focused(), QStringLiteral("Test"));
        }
        if (dialog->settings().dataset_spec != kImages) {
            problems << QStringLiteral("the images are %1").arg(QString::fromStdString(dialog->settings().dataset_spec));
        }
        fill(QStringLiteral("Questions per round:"), QString::number(kQuestionsPerRound));
        fill(QStringLiteral("Save project as:"), project_folder);
        QTest::keyClick(focused(), Qt::Key_Return);
        accepted = dialog->result() == QDialog::Accepted && !dialog->isVisible();
        if (!accepted) {
            problems << QStringLiteral("Enter did not create the project");
            dialog->reject();
        }
    }
};

// Waits for the running job with the stall meter on; returns the longest stall (ms), or -1 on timeout.
qint64 wait_for_idle(MainWindow& window, testing::StallMeter& stalls, const std::function<bool()>& done, int timeout_ms) {
    stalls.reset();
    if (!testing::wait_until([&] { return !window.controller()->busy() && done(); }, timeout_ms)) return -1;
    return stalls.longest_ms();
}

// The correct answer to the query on screen: the candidate whose cluster stands for the image's
// class (by the accuracy-maximising cluster-to-class map of the clustering the round was asked
// about), or "none of these".
Qt::Key correct_key(const SessionQuery& card, const std::vector<int>& truth, const std::vector<int>& class_of_cluster) {
    const int label = truth[static_cast<std::size_t>(card.sample)];
    for (std::size_t i = 0; i < card.candidates.size(); ++i) {
        const int cluster = card.candidates[i].cluster;
        if (cluster >= 0 && class_of_cluster[static_cast<std::size_t>(cluster)] == label) {
            return static_cast<Qt::Key>(Qt::Key_1 + static_cast<int>(i));
        }
    }
    return Qt::Key_0;
}

struct SavedAnswer {
    std::int64_t id, sample;
    AnswerKind kind;
    int chosen;
    bool undone;
    bool operator==(const SavedAnswer&) const = default;
};

std::vector<SavedAnswer> saved_answers(InteractiveSession& session) {
    std::vector<SavedAnswer> saved;
    auto records = session.project().answers(true);
    REQUIRE(records);
    for (const auto& record : *records) saved.push_back({record.id, record.sample, record.kind, record.chosen_cluster, record.undone});
    return saved;
}

std::vector<std::vector<int>> saved_clusterings(InteractiveSession& session) {
    std::vector<std::vector<int>> saved;
    for (const auto& summary : session.history()) {
        auto record = session.project().clustering(summary.id);
        REQUIRE(record);
        saved.push_back(record->assignment);
    }
    return saved;
}

// Answers the open round's questions correctly by keys, at most `limit` of them (or to its end);
// returns how many were answered with a cluster and with "none of these", and the slowest answer.
struct AnswerTally {
    int positives = 0;
    int negatives = 0;
    std::vector<qint64> answer_ms;  // time from the key press to the next question shown
    qint64 slowest_ms() const { return answer_ms.empty() ? 0 : *std::max_element(answer_ms.begin(), answer_ms.end()); }
    qint64 median_ms() const {
        std::vector<qint64> sorted = answer_ms;
        std::sort(sorted.begin(), sorted.end());
        return sorted.empty() ? 0 : sorted[sorted.size() / 2];
    }
};

void answer_correctly(MainWindow& window, const std::vector<int>& truth, int limit, AnswerTally& tally) {
    InteractiveSession* session = window.controller()->session();
    const std::vector<int> class_of_cluster = best_cluster_to_class_map(truth, session->clustering().assignment);
    QueryView* query = window.project_view()->query_view();
    REQUIRE(focused() == query);
    for (int answered = 0; answered < limit && query->has_query() && !window.controller()->busy(); ++answered) {
        const Qt::Key key = correct_key(query->current(), truth, class_of_cluster);
        (key == Qt::Key_0 ? tally.negatives : tally.positives) += 1;
        QElapsedTimer answer;
        answer.start();
        QTest::keyClick(focused(), key);
        tally.answer_ms.push_back(answer.elapsed());
    }
}

}  // namespace

TEST_CASE("keyboard alone: from the welcome screen to better Fashion-MNIST clusters, answered correctly", "[ui][slow]") {
    QElapsedTimer wall;
    wall.start();
    testing::TempDir scratch;
    QSettings().clear();
    const QString folder = QString::fromStdString((scratch / "fashion-test.corral").string());
    testing::StallMeter stalls;
    qint64 longest_stall_ms = 0;
    const auto note_stall = [&](qint64 stall_ms) {
        REQUIRE(stall_ms >= 0);  // -1: the job did not finish in time
        longest_stall_ms = std::max(longest_stall_ms, stall_ms);
    };
    AnswerTally tally;
    constexpr int kAnsweredBeforeClosing = kQuestionsPerRound / 2;

    std::vector<SavedAnswer> answers_at_close;
    std::vector<std::vector<int>> clusterings_at_close;
    std::int64_t clustering_at_close = 0;
    int position_at_close = -1;
    qint64 item_at_close = -1;
    {
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        window.activateWindow();
        REQUIRE(QTest::qWaitForWindowActive(&window));

        // Welcome screen: Tab to "New project with the bundled Fashion-MNIST", Space opens the dialog.
        REQUIRE(tab_to([](QWidget* widget) {
            auto* button = qobject_cast<QPushButton*>(widget);
            return button && button->text().contains(QStringLiteral("Fashion-MNIST"));
        }));
        DialogDriver dialog;
        dialog.project_folder = folder;
        // The dialog is modal: its keys are typed from a timer once it shows.
        QTimer poll;
        poll.setInterval(20);
        QObject::connect(&poll, &QTimer::timeout, [&] {
            if (!qobject_cast<NewProjectDialog*>(QApplication::activeModalWidget())) return;
            poll.stop();
            dialog.run();
        });
        poll.start();
        QTest::keyClick(focused(), Qt::Key_Space);
        poll.stop();
        INFO(dialog.problems.join(QStringLiteral("; ")).toStdString());
        REQUIRE(dialog.accepted);
        // The window manager's part: the main window is active again once the dialog is gone
        // (the offscreen platform does not do it by itself).
        window.activateWindow();
        REQUIRE(QTest::qWaitForWindowActive(&window));

        // The project is built on a worker thread while the window keeps answering.
        note_stall(wait_for_idle(window, stalls, [&] { return window.controller()->has_session(); }, 180000));
        auto* session = window.controller()->session();
        REQUIRE(session->settings().encoder_spec == "pixels");
        REQUIRE(session->settings().round_size == kQuestionsPerRound);
        REQUIRE(session->dataset()->size() == 10000);
        const std::vector<int> truth = session->dataset()->labels();
        REQUIRE(session->history().size() == 1);

        // Round 1, answered to the end: the last answer starts the fine-tuning.
        QTest::keyClick(focused(), Qt::Key_R, Qt::ControlModifier);
        note_stall(wait_for_idle(window, stalls, [&] { return window.project_view()->query_view()->has_query(); }, 120000));
        answer_correctly(window, truth, kQuestionsPerRound, tally);
        note_stall(wait_for_idle(window, stalls, [&] { return session->history().size() == 2; }, 300000));

        // Round 2, half answered; then the window is closed (Ctrl+Q) in the middle of it.
        QTest::keyClick(focused(), Qt::Key_R, Qt::ControlModifier);
        note_stall(wait_for_idle(window, stalls, [&] { return window.project_view()->query_view()->has_query(); }, 120000));
        answer_correctly(window, truth, kAnsweredBeforeClosing, tally);
        QueryView* query = window.project_view()->query_view();
        answers_at_close = saved_answers(*session);
        clusterings_at_close = saved_clusterings(*session);
        clustering_at_close = session->clustering().id;
        position_at_close = query->current().position;
        item_at_close = query->current().sample;
        CHECK(position_at_close == kAnsweredBeforeClosing);
        QTest::keyClick(focused(), Qt::Key_Q, Qt::ControlModifier);
        CHECK_FALSE(window.isVisible());
    }
    {
        // Reopen from the welcome screen's recent list: Tab to it, Home, Enter.
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        window.activateWindow();
        REQUIRE(QTest::qWaitForWindowActive(&window));
        QStringList visited;
        const bool reached = tab_to([](QWidget* widget) { return qobject_cast<QListWidget*>(widget) != nullptr; }, &visited);
        INFO("recent projects: " << QSettings().value(QStringLiteral("recent/projects")).toStringList().join(QLatin1Char(',')).toStdString()
             << "; list shown: " << window.welcome_view()->findChild<QListWidget*>()->isVisible()
             << "; focus went through: " << visited.join(QLatin1Char(' ')).toStdString());
        REQUIRE(reached);
        auto* recent = qobject_cast<QListWidget*>(focused());
        REQUIRE(recent->count() >= 1);
        QTest::keyClick(recent, Qt::Key_Home);
        REQUIRE(recent->currentItem()->data(Qt::UserRole).toString() == folder);
        QTest::keyClick(recent, Qt::Key_Return);
        note_stall(wait_for_idle(window, stalls, [&] { return window.controller()->has_session(); }, 180000));

        // Every answer, every clustering and the place in the round came back.
        auto* session = window.controller()->session();
        CHECK(saved_answers(*session) == answers_at_close);
        CHECK(saved_clusterings(*session) == clusterings_at_close);
        CHECK(session->clustering().id == clustering_at_close);
        QueryView* query = window.project_view()->query_view();
        REQUIRE(query->has_query());
        CHECK(query->current().position == position_at_close);
        CHECK(query->current().sample == item_at_close);

        // Round 2 finished after the reopen; its fine-tuning uses the answers of both windows.
        const std::vector<int> truth = session->dataset()->labels();
        answer_correctly(window, truth, kQuestionsPerRound, tally);
        note_stall(wait_for_idle(window, stalls, [&] { return session->history().size() == 3; }, 300000));
        CHECK(tally.positives + tally.negatives == kRounds * kQuestionsPerRound);
        CHECK(session->active_answer_count() == kRounds * kQuestionsPerRound);

        const auto history = session->history();
        REQUIRE(history.size() == static_cast<std::size_t>(kRounds + 1));
        // Each round's clustering is learned from every answer so far.
        for (int round = 1; round <= kRounds; ++round) {
            CHECK(history[static_cast<std::size_t>(round)].answers_used == round * kQuestionsPerRound);
        }
        REQUIRE(history.front().scores);
        REQUIRE(history.back().scores);
        const ClusteringScores before = *history.front().scores;
        const ClusteringScores after = *history.back().scores;
        // The score the window shows is the score of the clustering it holds.
        CHECK(score_clustering(truth, session->clustering().assignment).acc == Approx(after.acc).margin(1e-12));
        std::printf("keyboard walkthrough: %d answers (%d positive, %d negative); ACC %.4f -> %.4f -> %.4f, "
                    "NMI %.4f -> %.4f -> %.4f, ARI %.4f -> %.4f; answer to next question median %lld ms, slowest %lld ms; "
                    "longest stall %lld ms\n",
                    tally.positives + tally.negatives, tally.positives, tally.negatives, before.acc, history[1].scores->acc,
                    after.acc, before.nmi, history[1].scores->nmi, after.nmi, before.ari, after.ari,
                    static_cast<long long>(tally.median_ms()), static_cast<long long>(tally.slowest_ms()),
                    static_cast<long long>(longest_stall_ms));
        CHECK(after.acc > before.acc + 0.10);
        CHECK(after.nmi > before.nmi + 0.02);
        CHECK(tally.median_ms() < 50);    // DESIGN §7: the next question within 50 ms
        CHECK(tally.slowest_ms() < 250);  // on a busy 2-core machine, a few answers wait on the disk
        CHECK(longest_stall_ms < 500);

        // Alt+3 shows the metrics: one point per clustering, the last the best.
        QTest::keyClick(focused(), Qt::Key_3, Qt::AltModifier);
        ProjectView* view = window.project_view();
        CHECK(view->tabs()->currentIndex() == 2);
        REQUIRE(view->metrics_chart()->rounds().size() == static_cast<std::size_t>(kRounds + 1));
        CHECK(view->metrics_chart()->rounds().back().acc == Approx(after.acc));
        QTest::qWait(100);
        testing::save_screenshot(&window, QStringLiteral("walkthrough-metrics"));
    }
    std::printf("keyboard walkthrough: %.1f s\n", wall.elapsed() / 1000.0);
}
