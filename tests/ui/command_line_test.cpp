// The real binaries as a user's shell or desktop starts them: corral answers --help and
// --version without a display, and refuses what is not a folder; corral-cli's cluster keeps
// or leaves out duplicates as asked.
#include <catch2/catch.hpp>

#include <QProcess>
#include <QProcessEnvironment>

#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

using namespace corral;
namespace fs = std::filesystem;

namespace {

struct Outcome {
    int exit_code = -1;
    QString out;
    QString err;
};

Outcome run(const QString& program, const QStringList& arguments, const QProcessEnvironment& environment) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    REQUIRE(process.waitForStarted(10000));
    REQUIRE(process.waitForFinished(120000));
    REQUIRE(process.exitStatus() == QProcess::NormalExit);
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

}  // namespace

TEST_CASE("corral answers --help and --version without opening a window", "[ui]") {
    const QString corral = QStringLiteral(CORRAL_GUI_BINARY);
    auto offscreen = QProcessEnvironment::systemEnvironment();
    offscreen.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    // With the X11 platform and no display, a QApplication would abort: --help must not need one.
    auto no_display = QProcessEnvironment::systemEnvironment();
    no_display.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
    no_display.remove(QStringLiteral("DISPLAY"));
    no_display.remove(QStringLiteral("WAYLAND_DISPLAY"));
    for (const auto& environment : {offscreen, no_display}) {
        const Outcome help = run(corral, {QStringLiteral("--help")}, environment);
        CHECK(help.exit_code == 0);
        CHECK(help.out.contains(QStringLiteral("[path]")));
        CHECK(help.out.contains(QStringLiteral("A project folder (NAME.corral) to open, or an image folder")));
        const Outcome version = run(corral, {QStringLiteral("--version")}, environment);
        CHECK(version.exit_code == 0);
        CHECK(version.out.trimmed() == QStringLiteral("Corral ") + QStringLiteral(CORRAL_VERSION_TEXT));
    }
    const Outcome missing = run(corral, {QStringLiteral("/no/such/folder")}, offscreen);
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.contains(QStringLiteral("/no/such/folder is not a folder")));
    const Outcome unknown = run(corral, {QStringLiteral("--frobnicate")}, offscreen);
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.err.contains(QStringLiteral("frobnicate")));
}

TEST_CASE("corral-cli cluster leaves duplicates out, says so, and keeps them when asked", "[unit][images]") {
    testing::TempDir scratch;
    const fs::path images = scratch / "images";
    for (const char* cls : {"cats", "dogs"}) {
        fs::create_directories(images / cls);
        for (int i = 0; i < 4; ++i) {
            REQUIRE(cv::imwrite((images / cls / ("img" + std::to_string(i) + ".png")).string(),
                                cv::Mat(8, 8, CV_8UC3, cv::Scalar(cls[0] == 'c' ? 20 * i : 200 - 20 * i, 50, 90))));
        }
    }
    fs::create_symlink("../cats/img0.png", images / "dogs/link.png");  // a link into another category
    fs::copy_file(images / "cats/img1.png", images / "dogs/copy.png");
    const QString cli = QStringLiteral(CORRAL_CLI_BINARY);
    const auto environment = QProcessEnvironment::systemEnvironment();
    const QString data = QString::fromStdString(images.string());
    const Outcome one = run(cli, {QStringLiteral("cluster"), QStringLiteral("--data"), data, QStringLiteral("--clusters"),
                                  QStringLiteral("2"), QStringLiteral("--json")},
                            environment);
    REQUIRE(one.exit_code == 0);
    CHECK(one.out.contains(QStringLiteral("\"images\": 8")));
    CHECK(one.out.contains(QStringLiteral("\"duplicates\": 2")));
    CHECK(one.err.contains(QStringLiteral("left out 2 duplicate images (1 links, 1 identical copies)")));
    CHECK(one.err.contains(QStringLiteral("dogs/link.png: a link to ")));
    const Outcome all = run(cli, {QStringLiteral("cluster"), QStringLiteral("--data"), data, QStringLiteral("--clusters"),
                                  QStringLiteral("2"), QStringLiteral("--duplicates"), QStringLiteral("keep-all"),
                                  QStringLiteral("--json")},
                            environment);
    REQUIRE(all.exit_code == 0);
    CHECK(all.out.contains(QStringLiteral("\"images\": 10")));
    CHECK(all.err.contains(QStringLiteral("kept 2 duplicate images")));
    const Outcome wrong = run(cli, {QStringLiteral("cluster"), QStringLiteral("--data"), data, QStringLiteral("--duplicates"),
                                    QStringLiteral("some")},
                              environment);
    CHECK(wrong.exit_code == 2);
    CHECK(wrong.err.contains(QStringLiteral("--duplicates is keep-one or keep-all")));
}
