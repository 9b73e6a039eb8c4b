// The app's export: it asks before replacing an existing file, offers links or copies for a
// folder tree, and core's refusal to write into the project comes back as a message.
#include <catch2/catch.hpp>

#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

#include <QImage>

#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/ui/main_window.h"
#include "corral/ui/job_runner.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

namespace fs = std::filesystem;

// Clicks the button labelled `button` (mnemonic '&' ignored) in the next message box that shows,
// and records the box's text.
void answer_next_message_box(const QString& button, QString* text) {
    auto* timer = new QTimer(qApp);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, button, text] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        for (QAbstractButton* candidate : box->buttons()) {
            if (candidate->text().remove(QLatin1Char('&')) == button) {
                if (text) *text = box->text();
                timer->stop();
                timer->deleteLater();
                candidate->click();
                return;
            }
        }
    });
    timer->start(20);
}

}  // namespace

TEST_CASE("the export dialog confirms replacing, offers links or copies, and reports refusals", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    const fs::path images = scratch / "images";
    testing::write_two_shade_folder(images, 12);
    MainWindow window;
    SessionSettings settings;
    settings.dataset_spec = "folder:" + images.string();
    settings.clusters = 2;
    settings.round_size = 4;
    const fs::path project = scratch / "export.corral";
    window.controller()->create_project(QString::fromStdString(project.string()), settings);
    REQUIRE(testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 120000));
    auto finish = [&] { return testing::wait_until([&] { return !window.job_runner()->busy(); }, 30000); };

    // An existing file: the user is asked; Cancel keeps it, Yes replaces it.
    const fs::path existing = scratch / "mine.csv";
    testing::write_file(existing, "my own table");
    QString question;
    answer_next_message_box(QStringLiteral("Cancel"), &question);
    window.export_clustering_to(QStringLiteral("csv"), QString::fromStdString(existing.string()));
    REQUIRE(finish());
    CHECK(question.contains(QStringLiteral("already exists")));
    CHECK(testing::read_file(existing) == "my own table");
    answer_next_message_box(QStringLiteral("Yes"), nullptr);
    window.export_clustering_to(QStringLiteral("csv"), QString::fromStdString(existing.string()));
    REQUIRE(finish());
    CHECK_THAT(testing::read_file(existing), Catch::StartsWith("path,cluster,cluster_name,answered,label\n"));

    // A folder tree of copies, in a folder that does not exist yet.
    const fs::path tree = scratch / "exports" / "tree";
    answer_next_message_box(QStringLiteral("Copies"), &question);
    window.export_clustering_to(QStringLiteral("folder"), QString::fromStdString(tree.string()));
    REQUIRE(finish());
    CHECK(question.contains(QStringLiteral("links")));
    std::size_t copies = 0;
    for (const auto& entry : fs::recursive_directory_iterator(tree)) {
        copies += fs::is_regular_file(fs::symlink_status(entry.path())) && entry.path().filename() != ".corral-export";
    }
    CHECK(copies == 12);
    CHECK(fs::exists(tree / "001_Cluster 1"));

    // Even confirmed, the project's own database is never overwritten: core refuses, the app says so.
    QString refusal;
    answer_next_message_box(QStringLiteral("Yes"), nullptr);
    window.export_clustering_to(QStringLiteral("json"), QString::fromStdString((project / "project.sqlite").string()));
    answer_next_message_box(QStringLiteral("OK"), &refusal);
    REQUIRE(testing::wait_until([&] { return !refusal.isEmpty(); }, 30000));
    CHECK(refusal.contains(QStringLiteral("inside the project folder")));
    CHECK(window.controller()->has_session());
    window.controller()->close_project();
    auto reopened = Project::open(project);
    REQUIRE(reopened);
    CHECK((*reopened)->check_integrity());
}
