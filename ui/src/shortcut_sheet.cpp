#include "shortcut_sheet.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QKeySequence>
#include <QTableWidget>
#include <QVBoxLayout>

namespace corral::ui {

ShortcutSheet::ShortcutSheet(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Keyboard shortcuts"));
    const auto native = [](QKeySequence sequence) { return sequence.toString(QKeySequence::NativeText); };
    const QList<QPair<QString, QString>> rows = {
        {tr("1 … 5"), tr("The image belongs with that group")},
        {tr("0 or N"), tr("None of these groups")},
        {tr("S"), tr("Skip this image")},
        {native(QKeySequence(Qt::CTRL | Qt::Key_1)) + tr(" … 5"), tr("Show more of that group, the most typical first")},
        {tr("V (in the questions)"), tr("View the image large, with its cluster, label and file")},
        {native(QKeySequence::Undo) + tr(" (Backspace in the questions)"),
         tr("Undo the last step: an answer, a move, a rename or a merge, from any tab")},
        {native(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z)), tr("Redo what was undone")},
        {native(QKeySequence(Qt::CTRL | Qt::Key_R)), tr("Ask me questions (start a round)")},
        {native(QKeySequence(Qt::CTRL | Qt::Key_T)), tr("Learn from my answers now")},
        {native(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A)), tr("New clustering by an aspect (color, shape, …)")},
        {native(QKeySequence(Qt::CTRL | Qt::Key_F)),
         tr("Find similar images: to the grid's current image, the map's point under the pointer, or the question's image")},
        {native(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F)), tr("Search the images by text (with a CLIP model)")},
        {tr("Esc"), tr("Cancel the running job")},
        {native(QKeySequence(Qt::ALT | Qt::Key_1)) + QStringLiteral(" / 2 / 3 / 4"), tr("Questions / Clusters / Metrics / Map")},
        {native(QKeySequence::New), tr("New project from an image folder")},
        {native(QKeySequence::Open), tr("Open a project")},
        {tr("F2 (in the cluster list)"), tr("Rename the cluster")},
        {tr("Drag images onto a cluster"), tr("Move them there (the context menu also moves them to a new cluster)")},
        {tr("Enter (in the image grid)"), tr("Open the image large")},
        {native(QKeySequence::HelpContents), tr("This sheet")},
    };
    auto* table = new QTableWidget(static_cast<int>(rows.size()), 2, this);
    table->setHorizontalHeaderLabels({tr("Key"), tr("Action")});
    table->verticalHeader()->hide();
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table->horizontalHeader()->setStretchLastSection(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int row = 0; row < rows.size(); ++row) {
        table->setItem(row, 0, new QTableWidgetItem(rows[row].first));
        table->setItem(row, 1, new QTableWidgetItem(rows[row].second));
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table);
    layout->addWidget(buttons);
    resize(560, 460);
}

}  // namespace corral::ui
