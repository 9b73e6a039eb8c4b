#include "session_commands.h"

#include "corral/core/interactive_session.h"
#include "corral/ui/session_controller.h"

namespace corral::ui {

SessionCommand::SessionCommand(SessionController* controller, const QString& text) : controller_(controller) {
    setText(text);
}

InteractiveSession& SessionCommand::session() const { return *controller_->session_; }

bool SessionCommand::report(const QString& title, const Error& error) const {
    controller_->report(title, error);
    return false;
}

void SessionCommand::redo() {
    if (!controller_->session_ || !apply()) {
        setObsolete(true);
        return;
    }
    controller_->refresh_views(changes_clustering(), changes_query());
    if (answers_question()) controller_->after_answer();
}

void SessionCommand::undo() {
    if (!controller_->session_ || !revert()) {
        setObsolete(true);
        return;
    }
    controller_->refresh_views(changes_clustering(), changes_query());
}

AnswerCommand::AnswerCommand(SessionController* controller, const QString& text, qint64 sample, AnswerKind kind,
                             int cluster, qint64 response_ms)
    : SessionCommand(controller, text), sample_(sample), kind_(kind), cluster_(cluster), response_ms_(response_ms) {}

bool AnswerCommand::apply() {
    const auto query = session().current_query();
    if (!query || query->sample != sample_) {
        Q_EMIT controller_->status_message(QObject::tr("That question is no longer the one shown: nothing to redo."));
        return false;
    }
    auto recorded = session().answer(kind_, cluster_, response_ms_);
    if (!recorded) return report(QObject::tr("The answer was not saved"), recorded.error());
    answer_id_ = recorded->id;
    return true;
}

bool AnswerCommand::revert() {
    auto undone = session().undo_answers({answer_id_});
    if (!undone) return report(QObject::tr("Could not undo the answer"), undone.error());
    return true;
}

MoveCommand::MoveCommand(SessionController* controller, const QString& text, std::vector<qint64> items, int cluster)
    : SessionCommand(controller, text), items_(std::move(items)), cluster_(cluster) {}

MoveCommand::MoveCommand(SessionController* controller, const QString& text, std::vector<qint64> items,
                         QString new_cluster_name)
    : SessionCommand(controller, text), items_(std::move(items)), new_cluster_(true),
      new_cluster_name_(std::move(new_cluster_name)) {}

MoveCommand* MoveCommand::merge(SessionController* controller, const QString& text, int merge_from, int cluster) {
    auto* command = new MoveCommand(controller, text);
    command->merge_from_ = merge_from;
    command->cluster_ = cluster;
    return command;
}

bool MoveCommand::apply() {
    if (new_cluster_) {
        auto added = session().add_cluster(new_cluster_name_.trimmed().toStdString());
        if (!added) return report(QObject::tr("Could not make a new cluster"), added.error());
        cluster_ = *added;
    }
    const std::vector<std::int64_t> items(items_.begin(), items_.end());
    auto moved = merge_from_ >= 0 ? session().merge_clusters(merge_from_, cluster_) : session().move_images_together(items, cluster_);
    if (!moved || moved->empty()) {
        // Nothing went into it: leave no empty cluster behind, and say so if that fails too.
        if (new_cluster_) {
            if (auto removed = session().remove_last_cluster(); !removed) {
                report(QObject::tr("Could not remove the empty new cluster"), removed.error());
            }
        }
        if (!moved) {
            return report(merge_from_ >= 0 ? QObject::tr("Could not merge the clusters") : QObject::tr("Could not move the images"),
                          moved.error());
        }
        Q_EMIT controller_->status_message(QObject::tr("Nothing to move: the images are there already."));
        return false;
    }
    answer_ids_ = std::move(*moved);
    return true;
}

bool MoveCommand::revert() {
    auto undone = session().undo_answers(answer_ids_);
    if (!undone) return report(QObject::tr("Could not undo the move"), undone.error());
    if (new_cluster_) {
        if (auto removed = session().remove_last_cluster(); !removed) {
            return report(QObject::tr("Could not remove the new cluster"), removed.error());
        }
    }
    return true;
}

RenameClusterCommand::RenameClusterCommand(SessionController* controller, const QString& text, int cluster,
                                           QString old_name, QString new_name)
    : SessionCommand(controller, text), cluster_(cluster), old_name_(std::move(old_name)), new_name_(std::move(new_name)) {}

bool RenameClusterCommand::apply() {
    if (auto renamed = session().rename_cluster(cluster_, new_name_.toStdString()); !renamed) {
        return report(QObject::tr("Could not rename the cluster"), renamed.error());
    }
    return true;
}

bool RenameClusterCommand::revert() {
    if (auto renamed = session().rename_cluster(cluster_, old_name_.toStdString()); !renamed) {
        return report(QObject::tr("Could not rename the cluster back"), renamed.error());
    }
    return true;
}

RenameClusteringCommand::RenameClusteringCommand(SessionController* controller, const QString& text,
                                                 qint64 clustering_id, QString old_name, QString new_name)
    : SessionCommand(controller, text), clustering_id_(clustering_id), old_name_(std::move(old_name)),
      new_name_(std::move(new_name)) {}

bool RenameClusteringCommand::apply() {
    if (auto renamed = session().rename_clustering(clustering_id_, new_name_.toStdString()); !renamed) {
        return report(QObject::tr("Could not rename the clustering"), renamed.error());
    }
    return true;
}

bool RenameClusteringCommand::revert() {
    if (auto renamed = session().rename_clustering(clustering_id_, old_name_.toStdString()); !renamed) {
        return report(QObject::tr("Could not rename the clustering back"), renamed.error());
    }
    return true;
}

}  // namespace corral::ui
