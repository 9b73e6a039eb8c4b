#include "map_panel.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMetaObject>
#include <QPointer>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include <map>
#include <memory>

#include "corral/ui/job_runner.h"
#include "map_colourings.h"
#include "map_view.h"
#include "plural.h"
#include "corral/ui/session_controller.h"
#include "worker_threads.h"

namespace corral::ui {
namespace {

// Streamed layouts reach the UI thread at most this often: smooth enough to watch, cheap enough
// not to slow the optimisation.
constexpr qint64 kStreamIntervalMs = 100;

std::vector<QPointF> to_positions(const FloatMatrix& layout) {
    std::vector<QPointF> positions(static_cast<std::size_t>(layout.rows()));
    for (std::int64_t i = 0; i < layout.rows(); ++i) positions[static_cast<std::size_t>(i)] = QPointF(layout(i, 0), layout(i, 1));
    return positions;
}

QString colouring_label(MapPanel::ColourBy mode) {
    switch (mode) {
        case MapPanel::ColourBy::clusters: return MapPanel::tr("Clusters");
        case MapPanel::ColourBy::ground_truth: return MapPanel::tr("True classes");
        case MapPanel::ColourBy::answers: return MapPanel::tr("Answers");
        case MapPanel::ColourBy::value_score: return MapPanel::tr("Value score");
    }
    return {};
}

}  // namespace

MapPanel::MapPanel(SessionController* controller, ThumbnailCache* thumbnails, QWidget* parent)
    : QWidget(parent), controller_(controller) {
    view_ = new MapView(thumbnails, this);
    view_->set_placeholder_text(tr("No map yet.\nPress “Compute map” to lay the images out by similarity (t-SNE)."));
    colour_by_box_ = new QComboBox(this);
    compute_ = new QPushButton(tr("Compute map"), this);
    lasso_ = new QToolButton(this);
    lasso_->setText(tr("Lasso"));
    lasso_->setCheckable(true);
    lasso_->setToolTip(tr("Draw around images to select them (or hold Shift while dragging)"));
    fit_ = new QToolButton(this);
    fit_->setText(tr("Fit"));
    fit_->setToolTip(tr("Show the whole map (or double-click empty space)"));
    status_ = new QLabel(this);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    for (QWidget* widget : std::initializer_list<QWidget*>{colour_by_box_, compute_, lasso_, fit_}) widget->setFocusPolicy(Qt::NoFocus);

    auto* toolbar = new QHBoxLayout;
    toolbar->addWidget(new QLabel(tr("Colour by"), this));
    toolbar->addWidget(colour_by_box_);
    toolbar->addSpacing(12);
    toolbar->addWidget(lasso_);
    toolbar->addWidget(fit_);
    toolbar->addSpacing(12);
    toolbar->addWidget(status_, 1);
    toolbar->addWidget(compute_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(toolbar);
    layout->addWidget(view_, 1);

    connect(colour_by_box_, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0) set_colour_by(static_cast<ColourBy>(colour_by_box_->itemData(index).toInt()));
    });
    connect(compute_, &QPushButton::clicked, this, [this] {
        if (job_ != 0) controller_->cancel_job(job_);
        else compute_map();
    });
    connect(lasso_, &QToolButton::toggled, view_, &MapView::set_lasso_mode);
    connect(fit_, &QToolButton::clicked, view_, &MapView::fit_to_points);
    connect(view_, &MapView::selection_made, this, &MapPanel::selection_made);
    connect(view_, &MapView::point_opened, this, &MapPanel::image_opened);
    connect(view_, &MapView::point_menu_requested, this, [this](qint64 item, QPoint global_position) {
        std::unique_ptr<QMenu> menu(make_point_menu(item, this));
        menu->exec(global_position);
    });
    connect(controller_->runner(), &JobRunner::job_progress, this, [this](int id, double fraction, const QString&, double remaining_seconds) {
        if (id != job_) return;
        QString text = tr("Computing the map… %1 %").arg(static_cast<int>(fraction * 100));
        if (remaining_seconds >= 0) text += tr(" (about %1 s left)").arg(static_cast<int>(remaining_seconds + 0.5));
        status_->setText(text);
    });
    update_colour_choices();
}

MapPanel::~MapPanel() {
    if (job_ != 0) controller_->cancel_job(job_);
}

QMenu* MapPanel::make_point_menu(qint64 item, QWidget* parent) {
    auto* menu = new QMenu(parent);
    QAction* open = menu->addAction(tr("Open image"));
    open->setObjectName(QStringLiteral("open_image"));
    connect(open, &QAction::triggered, this, [this, item] { Q_EMIT image_opened(item); });
    QAction* similar = menu->addAction(tr("Find similar images  [Ctrl+F]"));
    similar->setObjectName(QStringLiteral("find_similar"));
    similar->setEnabled(controller_->has_session());
    connect(similar, &QAction::triggered, this, [this, item] { Q_EMIT similar_images_requested(item); });
    return menu;
}

std::vector<MapPanel::ColourBy> MapPanel::available_colourings() const {
    std::vector<ColourBy> modes{ColourBy::clusters};
    const auto dataset = controller_->dataset();
    if (!controller_->has_session() || !dataset) return modes;
    if (dataset->has_ground_truth()) modes.push_back(ColourBy::ground_truth);
    modes.push_back(ColourBy::answers);
    const auto rounds = controller_->rounds_seen();
    if (std::any_of(rounds.begin(), rounds.end(), [](const QueryRound& round) { return !round.samples.empty(); })) {
        modes.push_back(ColourBy::value_score);
    }
    return modes;
}

void MapPanel::update_colour_choices() {
    const auto modes = available_colourings();
    if (std::find(modes.begin(), modes.end(), colour_by_) == modes.end()) colour_by_ = ColourBy::clusters;
    const QSignalBlocker blocker(colour_by_box_);
    colour_by_box_->clear();
    for (const ColourBy mode : modes) {
        colour_by_box_->addItem(colouring_label(mode), static_cast<int>(mode));
        if (mode == colour_by_) colour_by_box_->setCurrentIndex(colour_by_box_->count() - 1);
    }
}

void MapPanel::set_colour_by(ColourBy mode) {
    colour_by_ = mode;
    update_colour_choices();
    recolour();
}

void MapPanel::refresh() {
    colours_stale_ = true;
    // A hidden tab catches up when shown: answering must not pay for re-reading the rounds.
    if (isVisible()) synchronise();
}

void MapPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (colours_stale_) synchronise();
}

void MapPanel::synchronise() {
    if (!controller_->has_session()) return;
    if (view_->point_count() == 0 && job_ == 0) {
        if (auto stored = controller_->stored_map()) {
            view_->set_layout(to_positions(*stored));
            compute_->setText(tr("Recompute map"));
            status_->setText(count_text(stored->rows(), tr("Map of %1 image, saved in the project."), tr("Map of %1 images, saved in the project.")));
        }
    }
    update_colour_choices();
    recolour();
}

void MapPanel::recolour() {
    const auto clustering = controller_->clustering_view();
    const auto dataset = controller_->dataset();
    if (!clustering || !dataset) return;
    colours_stale_ = false;
    const auto points = dataset->size();
    switch (colour_by_) {
        case ColourBy::clusters: {
            QStringList names(clustering->names.begin(), clustering->names.end());
            view_->set_colouring(cluster_colouring(clustering->assignment, names));
            break;
        }
        case ColourBy::ground_truth: {
            QStringList names;
            for (const auto& name : dataset->class_names()) names << QString::fromStdString(name);
            view_->set_colouring(ground_truth_colouring(dataset->labels(), names));
            break;
        }
        case ColourBy::answers: {
            std::vector<std::int64_t> queried;
            for (const auto& round : controller_->rounds_seen()) {
                for (const auto& sample : round.samples) queried.push_back(sample.sample);
            }
            view_->set_colouring(answer_colouring(points, controller_->answers(), queried));
            break;
        }
        case ColourBy::value_score: {
            std::map<std::int64_t, double> value_by_item;
            for (const auto& round : controller_->rounds_seen()) {
                for (const auto& sample : round.samples) value_by_item[sample.sample] = sample.value_score;
            }
            view_->set_colouring(value_colouring(points, value_by_item));
            break;
        }
    }
}

void MapPanel::show_layout(const std::vector<QPointF>& positions, bool animate) {
    view_->set_layout(positions, animate);
    if (colours_stale_ || view_->colouring().category.size() != positions.size()) recolour();
}

void MapPanel::compute_map(std::optional<TsneParams> chosen) {
    if (!controller_->has_session() || job_ != 0) return;
    TsneParams params = chosen.value_or(controller_->default_map_params());
    if (params.layout_every <= 0) params.layout_every = 5;
    layouts_received_ = 0;
    QPointer<MapPanel> self(this);
    auto last_post = std::make_shared<QElapsedTimer>();
    TsneLayoutCallback on_layout = [self, last_post](const FloatMatrix& layout, int) {
        // Throttled on the worker, so only the layouts that will be shown are copied.
        if (last_post->isValid() && last_post->elapsed() < kStreamIntervalMs) return;
        last_post->start();
        auto positions = std::make_shared<const std::vector<QPointF>>(to_positions(layout));
        // The panel may be deleted on the UI thread at any moment: it is looked up there, never
        // dereferenced here.
        post_to_ui_thread([self, positions] {
            if (!self || self->job_ == 0) return;
            ++self->layouts_received_;
            self->show_layout(*positions, true);
        });
    };
    compute_->setText(tr("Stop"));
    status_->setText(tr("Computing the map…"));
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    job_ = controller_->compute_map(
        params, on_layout, this, [this, clock](Expected<FloatMatrix> layout) {
            job_ = 0;
            if (!layout) {
                // Back to the saved map: a stopped layout is not one to keep looking at.
                if (auto stored = controller_->stored_map()) view_->set_layout(to_positions(*stored));
                else view_->clear_layout();
                on_map_finished(false, layout.error().code == ErrorCode::cancelled
                                           ? tr("Map cancelled.")
                                           : tr("The map failed: %1").arg(QString::fromStdString(layout.error().message)));
                return;
            }
            ++layouts_received_;
            show_layout(to_positions(*layout), true);
            const QString seconds = QLocale().toString(clock->elapsed() / 1000.0, 'f', 1);
            on_map_finished(true, count_text(layout->rows(), tr("Map of %1 image computed in %2 s and saved in the project."),
                                             tr("Map of %1 images computed in %2 s and saved in the project."))
                                      .arg(seconds));
        });
}

void MapPanel::on_map_finished(bool succeeded, const QString& message) {
    compute_->setText(view_->point_count() > 0 || succeeded ? tr("Recompute map") : tr("Compute map"));
    status_->setText(message);
}

}  // namespace corral::ui
