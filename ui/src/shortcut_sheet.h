#pragma once
// The keyboard shortcut sheet (F1): every key the query view and the menus answer to.
#include <QDialog>

namespace corral::ui {

class ShortcutSheet : public QDialog {
    Q_OBJECT
public:
    explicit ShortcutSheet(QWidget* parent = nullptr);
};

}  // namespace corral::ui
