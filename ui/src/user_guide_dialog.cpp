#include "user_guide_dialog.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextFragment>
#include <QTextImageFormat>
#include <QUrl>
#include <QVBoxLayout>

#include <vector>

#ifndef CORRAL_SOURCE_DOCS_DIR
#define CORRAL_SOURCE_DOCS_DIR ""
#endif

namespace corral::ui {
namespace {

const QString kGuideFile = QStringLiteral("user-guide.md");
constexpr int kOriginalName = QTextFormat::UserProperty;

}  // namespace

QStringList user_guide_folders() {
    QStringList folders;
    if (const QString override_dir = qEnvironmentVariable("CORRAL_DOCS_DIR"); !override_dir.isEmpty()) folders << override_dir;
    const QString executable_dir = QCoreApplication::applicationDirPath();
    folders << executable_dir + QStringLiteral("/docs") << executable_dir + QStringLiteral("/../share/doc/corral");
    if (const QString source = QStringLiteral(CORRAL_SOURCE_DOCS_DIR); !source.isEmpty()) folders << source;
    for (QString& folder : folders) folder = QDir::cleanPath(folder);
    return folders;
}

QString user_guide_path() {
    for (const QString& folder : user_guide_folders()) {
        const QString path = folder + QLatin1Char('/') + kGuideFile;
        if (QFileInfo(path).isFile()) return path;
    }
    return {};
}

UserGuideDialog::UserGuideDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Corral user guide"));
    browser_ = new QTextBrowser(this);
    browser_->setObjectName(QStringLiteral("user_guide"));
    browser_->setOpenLinks(true);
    browser_->setOpenExternalLinks(false);  // web links are handed to the system below
    location_ = new QLabel(this);
    location_->setForegroundRole(QPalette::PlaceholderText);
    location_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* back = new QPushButton(tr("Back"), this);
    auto* forward = new QPushButton(tr("Forward"), this);
    auto* home = new QPushButton(tr("Contents"), this);
    back->setEnabled(false);
    forward->setEnabled(false);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto* navigation = new QHBoxLayout;
    navigation->addWidget(back);
    navigation->addWidget(forward);
    navigation->addWidget(home);
    navigation->addWidget(location_, 1);
    navigation->addWidget(buttons);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(browser_, 1);
    layout->addLayout(navigation);

    browser_->viewport()->installEventFilter(this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(back, &QPushButton::clicked, browser_, &QTextBrowser::backward);
    connect(forward, &QPushButton::clicked, browser_, &QTextBrowser::forward);
    connect(home, &QPushButton::clicked, browser_, &QTextBrowser::home);
    connect(browser_, &QTextBrowser::backwardAvailable, back, &QWidget::setEnabled);
    connect(browser_, &QTextBrowser::forwardAvailable, forward, &QWidget::setEnabled);
    connect(browser_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        if (url.isLocalFile() || url.isRelative() || url.scheme() == QStringLiteral("file")) return;
        // Not a bundled document: the browser stays where it was, the system opens the link.
        browser_->setSource(browser_->source());
        QDesktopServices::openUrl(url);
    });
    connect(browser_, &QTextBrowser::sourceChanged, this, [this](const QUrl& url) {
        location_->setText(QDir::toNativeSeparators(url.toLocalFile()));
        fit_images();
    });

    const QString path = user_guide_path();
    found_ = !path.isEmpty();
    if (found_) {
        browser_->setSource(QUrl::fromLocalFile(path), QTextDocument::MarkdownResource);
    } else {
        QStringList looked;
        for (const QString& folder : user_guide_folders()) looked << QDir::toNativeSeparators(folder).toHtmlEscaped();
        browser_->setHtml(tr("<h3>The user guide was not found</h3><p>Corral looks for %1 in:</p><ul><li>%2</li></ul>"
                             "<p>Reinstall Corral, or set CORRAL_DOCS_DIR to the folder that holds it.</p>")
                              .arg(kGuideFile, looked.join(QStringLiteral("</li><li>"))));
    }
    resize(900, 700);
}

bool UserGuideDialog::eventFilter(QObject* watched, QEvent* event) {
    // The page's width is known once the browser's viewport has its size (after the dialog's).
    if (watched == browser_->viewport() && event->type() == QEvent::Resize) fit_images();
    return QDialog::eventFilter(watched, event);
}

void UserGuideDialog::fit_images() {
    QTextDocument* document = browser_->document();
    // The margins of the page and of the list or quote a picture may sit in, with room to spare.
    const int page_width = std::max(200, browser_->viewport()->width() - 2 * static_cast<int>(document->documentMargin()) - 48);
    const QUrl base = browser_->source();
    struct Picture {
        int position, length;
        QTextImageFormat format;
    };
    std::vector<Picture> pictures;
    for (QTextBlock block = document->begin(); block.isValid(); block = block.next()) {
        for (auto fragment = block.begin(); !fragment.atEnd(); ++fragment) {
            const QTextFragment part = fragment.fragment();
            if (part.isValid() && part.charFormat().isImageFormat()) {
                pictures.push_back({part.position(), part.length(), part.charFormat().toImageFormat()});
            }
        }
    }
    for (auto& picture : pictures) {
        // The name the guide gave, kept when a smaller copy is shown under another name.
        const QString original = picture.format.hasProperty(kOriginalName) ? picture.format.stringProperty(kOriginalName)
                                                                            : picture.format.name();
        const QUrl url = base.resolved(QUrl(original));
        if (!url.isLocalFile()) continue;
        auto loaded = originals_.find(url.toLocalFile());
        if (loaded == originals_.end()) loaded = originals_.insert(url.toLocalFile(), QImage(url.toLocalFile()));
        const QImage& image = loaded.value();
        if (image.isNull()) continue;
        QString shown = original;
        if (image.width() > page_width) {
            // Scaled here, smoothly: the document would draw a large picture smaller without smoothing.
            shown = original + QStringLiteral("#width=%1").arg(page_width);
            // Not document->resource() to ask: it would load the file itself under that name.
            if (!scaled_.contains(shown)) {
                scaled_.insert(shown);
                // Under the resolved name: the document resolves a picture's name before looking it up.
                document->addResource(QTextDocument::ImageResource, document->baseUrl().resolved(QUrl(shown)),
                                      image.scaledToWidth(page_width, Qt::SmoothTransformation));
            }
        }
        if (picture.format.name() == shown) continue;
        picture.format.setProperty(kOriginalName, original);
        picture.format.setName(shown);
        QTextCursor cursor(document);
        cursor.setPosition(picture.position);
        cursor.setPosition(picture.position + picture.length, QTextCursor::KeepAnchor);
        cursor.setCharFormat(picture.format);
    }
}

}  // namespace corral::ui
