#pragma once
// Help → User Guide: the bundled docs/user-guide.md with its images, shown offline in a
// QTextBrowser (Markdown). Links to the other bundled documents open in the same window (Back and
// Forward go between them); links to the web open in the system's browser. Pictures wider than
// the page are shown at the page's width.
//
// The documents are looked for in $CORRAL_DOCS_DIR, next to the executable (BIN/docs, then
// BIN/../share/doc/corral where `cmake --install` puts them), and last in the source tree this
// build came from (so build-tree runs and tests find them).
#include <QDialog>
#include <QHash>
#include <QImage>
#include <QSet>
#include <QStringList>

class QLabel;
class QTextBrowser;

namespace corral::ui {

// The folders looked in, in order.
QStringList user_guide_folders();
// The path of user-guide.md, or empty when none of the folders has it.
QString user_guide_path();

class UserGuideDialog : public QDialog {
    Q_OBJECT
public:
    explicit UserGuideDialog(QWidget* parent = nullptr);
    QTextBrowser* browser() const { return browser_; }
    bool found() const { return found_; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    // Pictures no wider than the page (smoothly scaled copies), at their own size when they fit.
    void fit_images();

    QTextBrowser* browser_;
    QLabel* location_;
    QHash<QString, QImage> originals_;  // the pictures at their own size, by file
    QSet<QString> scaled_;               // names of the smaller copies added to the document
    bool found_ = false;
};

}  // namespace corral::ui
