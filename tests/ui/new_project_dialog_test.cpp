// The new-project dialog turns what the user typed into the session's settings.
#include <catch2/catch.hpp>

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTest>

#include "new_project_dialog.h"
#include "ui_test_support.h"

using namespace corral;
using corral::ui::NewProjectDialog;

namespace {

// The field of `dialog`'s form whose label reads `label`.
template <typename Field>
Field* field_labelled(NewProjectDialog& dialog, const QString& label) {
    auto* form = dialog.findChild<QFormLayout*>();
    REQUIRE(form != nullptr);
    for (int row = 0; row < form->rowCount(); ++row) {
        auto* label_item = form->itemAt(row, QFormLayout::LabelRole);
        auto* field_item = form->itemAt(row, QFormLayout::FieldRole);
        if (!label_item || !field_item) continue;
        auto* text = qobject_cast<QLabel*>(label_item->widget());
        if (!text || text->text() != label) continue;
        if (auto* field = qobject_cast<Field*>(field_item->widget())) return field;
        if (field_item->widget()) {
            if (auto* inner = field_item->widget()->findChild<Field*>()) return inner;
        }
    }
    FAIL("no field labelled " << label.toStdString());
    return nullptr;
}

}  // namespace

TEST_CASE("the new-project dialog passes the typed image limit, clusters and round size on", "[ui]") {
    NewProjectDialog dialog(QStringLiteral("fashion-mnist"));
    REQUIRE(testing::show_active(&dialog));
    auto* limit = field_labelled<QSpinBox>(dialog, QStringLiteral("Use at most:"));
    CHECK(limit->text() == QStringLiteral("every image"));
    CHECK(dialog.settings().limit == 0);

    limit->setFocus();
    limit->selectAll();
    QTest::keyClicks(limit, QStringLiteral("5000"));
    auto* clusters = field_labelled<QSpinBox>(dialog, QStringLiteral("Clusters:"));
    clusters->setFocus();
    clusters->selectAll();
    QTest::keyClicks(clusters, QStringLiteral("12"));
    const auto settings = dialog.settings();
    CHECK(settings.dataset_spec == "fashion-mnist");
    CHECK(settings.limit == 5000);
    CHECK(settings.clusters == 12);
    CHECK(settings.encoder_spec == "pixels");
    testing::save_screenshot(&dialog, QStringLiteral("new-project-dialog"));
}
