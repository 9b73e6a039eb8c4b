#include "thumbnail_cache.h"

#include <QPainter>
#include <QPointer>

#include <climits>

#include "worker_threads.h"

namespace corral::ui {

QImage to_qimage(const Image& image) {
    if (image.empty()) return {};
    const QImage::Format format = image.channels == 1   ? QImage::Format_Grayscale8
                                  : image.channels == 4 ? QImage::Format_RGBA8888
                                                        : QImage::Format_RGB888;
    const QImage view(image.pixels.data(), image.width, image.height, image.width * image.channels, format);
    return view.copy();
}

QImage over_checkerboard(const QImage& image, int cell_px) {
    QImage board(image.size(), QImage::Format_RGB32);
    QPainter painter(&board);
    const QColor light(0xff, 0xff, 0xff), dark(0xcc, 0xcc, 0xcc);
    for (int y = 0; y < board.height(); y += cell_px) {
        for (int x = 0; x < board.width(); x += cell_px) {
            painter.fillRect(x, y, cell_px, cell_px, ((x / cell_px + y / cell_px) % 2) ? dark : light);
        }
    }
    painter.drawImage(0, 0, image);
    return board;
}

namespace {

// One pool for every cache (a project view makes the next cache before the last one goes), so
// that a cache's end never has to wait for its decodes; its destructor joins them at exit.
WorkerPool& decoding_pool() {
    static WorkerPool pool(2);
    return pool;
}

}  // namespace

ThumbnailCache::ThumbnailCache(std::shared_ptr<const Dataset> dataset, int side_px, QObject* parent)
    : QObject(parent), dataset_(std::move(dataset)), side_px_(side_px), wanted_(std::make_shared<std::atomic<bool>>(true)) {
    cache_.setMaxCost(64 * 1024 * 1024);  // bytes of thumbnails kept
}

ThumbnailCache::~ThumbnailCache() { wanted_->store(false); }

QImage ThumbnailCache::thumbnail(qint64 index) {
    if (const QImage* cached = cache_.object(index)) return *cached;
    if (pending_.contains(index) || index < 0 || index >= dataset_->size()) return {};
    pending_.insert(index);
    QPointer<ThumbnailCache> self(this);
    auto dataset = dataset_;
    const int side = side_px_;
    // Increasing priority: the most recently requested (visible) thumbnails are decoded first.
    const int priority = next_priority_ < INT_MAX ? ++next_priority_ : INT_MAX;
    decoding_pool().start(
        [self, dataset, side, index, wanted = wanted_] {
            if (!wanted->load()) return;  // the cache went while this waited its turn
            QImage thumbnail;
            // Decoded no larger than the thumbnail needs; transparency on white, as encoders see it.
            if (auto image = dataset->load_image(index, ImageRequest{side, false})) {
                thumbnail = to_qimage(*image).scaled(side, side, Qt::KeepAspectRatio,
                                                     image->width > side ? Qt::SmoothTransformation
                                                                         : Qt::FastTransformation);
            }
            // Looked up on the UI thread: the cache may be deleted there meanwhile.
            post_to_ui_thread([self, index, thumbnail] { if (self) self->on_loaded(index, thumbnail); });
        },
        priority);
    return {};
}

void ThumbnailCache::on_loaded(qint64 index, const QImage& image) {
    pending_.remove(index);
    if (image.isNull()) return;  // unreadable now (file vanished): the view keeps its placeholder
    cache_.insert(index, new QImage(image), static_cast<int>(image.sizeInBytes()));
    Q_EMIT thumbnail_ready(index);
}

QImage ThumbnailCache::full_image(qint64 index) const {
    auto image = dataset_->load_image(index, ImageRequest{0, true});
    return image ? to_qimage(*image) : QImage();
}

}  // namespace corral::ui
