#pragma once
// Thumbnails of dataset images, decoded on background threads and kept in a bounded cache.
// thumbnail() never blocks: it returns a null image and schedules the load, then
// thumbnail_ready(index) is emitted on the UI thread. The newest requests load first, so the
// images on screen come in before ones scrolled past. Destroying a cache does not wait: the
// decodes it asked for and that have not started are skipped, those running finish on their
// own (two decoding threads shared by every cache, joined at exit).
#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>

#include <atomic>
#include <memory>

#include "corral/core/dataset.h"

namespace corral::ui {

// A decoded core image as a QImage (grey, RGB or RGBA), deep-copied.
QImage to_qimage(const Image& image);
// `image` drawn over a grey-and-white checkerboard of `cell_px` squares: how a viewer shows
// which parts of an image are transparent.
QImage over_checkerboard(const QImage& image, int cell_px = 8);

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    ThumbnailCache(std::shared_ptr<const Dataset> dataset, int side_px, QObject* parent = nullptr);
    ~ThumbnailCache() override;

    // Thumbnails show transparent areas as white, as the encoders and the questions see them.
    QImage thumbnail(qint64 index);
    // Full-size image, decoded on the calling thread (for the one large view), with its
    // transparency (RGBA) when it has any.
    QImage full_image(qint64 index) const;
    int side_px() const { return side_px_; }
    const Dataset& dataset() const { return *dataset_; }

Q_SIGNALS:
    void thumbnail_ready(qint64 index);

private:
    void on_loaded(qint64 index, const QImage& image);

    std::shared_ptr<const Dataset> dataset_;
    int side_px_;
    QCache<qint64, QImage> cache_;
    QSet<qint64> pending_;
    int next_priority_ = 0;
    // Cleared by the destructor, on the UI thread; a decode reads it before it starts.
    std::shared_ptr<std::atomic<bool>> wanted_;
};

}  // namespace corral::ui
