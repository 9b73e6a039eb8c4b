#pragma once
// The Map tab: the MapView with a toolbar to choose the colouring, compute (or recompute) the
// t-SNE map as a job, fit the view and switch to lasso selection. While t-SNE runs, its layouts
// stream in (at most ~10 a second) and the points glide to each. The map is stored in the
// project and shown again when the project is reopened.
#include <QWidget>

#include <optional>
#include <vector>

#include "corral/core/tsne.h"

class QComboBox;
class QLabel;
class QMenu;
class QPushButton;
class QToolButton;

namespace corral::ui {

class MapView;
class SessionController;
class ThumbnailCache;

class MapPanel : public QWidget {
    Q_OBJECT
public:
    enum class ColourBy { clusters, ground_truth, answers, value_score };

    MapPanel(SessionController* controller, ThumbnailCache* thumbnails, QWidget* parent = nullptr);
    ~MapPanel() override;

    MapView* view() const { return view_; }
    // Re-reads what the colourings show (clusters, answers) and loads the stored map when none is
    // shown; deferred until the tab is visible.
    void refresh();
    // Starts t-SNE on the session's features (the session's default map parameters unless given);
    // a no-op while one runs.
    void compute_map(std::optional<TsneParams> params = std::nullopt);
    bool computing() const { return job_ != 0; }
    // Layouts that reached the view while the last map was computed (the final one included).
    int layouts_received() const { return layouts_received_; }
    // Colourings the current session offers (ground truth and value score are not always there).
    std::vector<ColourBy> available_colourings() const;
    void set_colour_by(ColourBy mode);
    ColourBy colour_by() const { return colour_by_; }
    // The context menu of a point as a right-click opens it (Open image, Find similar images);
    // the caller owns it.
    QMenu* make_point_menu(qint64 item, QWidget* parent);

Q_SIGNALS:
    void selection_made(const std::vector<qint64>& items);
    void image_opened(qint64 item);
    void similar_images_requested(qint64 item);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void synchronise();
    void recolour();
    void update_colour_choices();
    void show_layout(const std::vector<QPointF>& positions, bool animate);
    void on_map_finished(bool succeeded, const QString& message);

    SessionController* controller_;
    MapView* view_;
    QComboBox* colour_by_box_;
    QPushButton* compute_;
    QToolButton* lasso_;
    QToolButton* fit_;
    QLabel* status_;
    ColourBy colour_by_ = ColourBy::clusters;
    bool colours_stale_ = true;
    int job_ = 0;
    int layouts_received_ = 0;
};

}  // namespace corral::ui
