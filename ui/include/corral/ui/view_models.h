#pragma once
// Read-only view models: what the SessionController hands the widgets. They are plain values
// made on the UI thread from the session after each change, so a widget never reads the session
// itself (which a job may be working with) and never holds it.
#include <QMetaType>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

#include "corral/core/interactive_session.h"
#include "corral/core/metrics.h"

namespace corral::ui {

// The current clustering as the views show it.
struct ClusteringView {
    qint64 id = 0;
    QString name;
    std::vector<int> assignment;      // cluster per dataset item, -1 unassigned
    std::vector<QString> names;       // one per cluster: the stored name or "Cluster N"
    std::vector<QString> details;     // per cluster, a second line (an aspect's top words); may be empty
    QString aspect_summary;           // rich text about an aspect clustering; empty for others
    bool can_add_cluster = true;      // false when a convnet's fixed cluster count is fine-tuned

    int cluster_count() const { return static_cast<int>(names.size()); }
    QString cluster_name(int cluster) const {
        return cluster >= 0 && cluster < cluster_count() ? names[static_cast<std::size_t>(cluster)] : QString();
    }
    // Images per cluster.
    std::vector<qint64> sizes() const;
    std::vector<qint64> members(int cluster) const;
};

// One stored clustering, for the selector and the metrics table.
struct ClusteringEntry {
    qint64 id = 0;
    QString name;
    bool current = false;
    std::optional<ClusteringScores> scores;
    qint64 answers_used = 0;
    qint64 answers_given = 0;
};

// What the views need to know about the open project besides its clusters.
struct ProjectSummary {
    QString folder;
    int round_size = 0;
    int clusters = 0;    // the number of clusters the project was made with
    qint64 active_answers = 0;
    bool has_ground_truth = false;
    QString clip_model;  // the CLIP model folder for text search, empty when none is known
};

}  // namespace corral::ui
