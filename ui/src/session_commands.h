#pragma once
// The steps of the undo history: each command does its change through the session on redo()
// and takes it back on undo(), one durable transaction each way. A command that cannot be done
// or undone (the session refused it) reports why and makes itself obsolete, so QUndoStack drops it.
#include <QUndoCommand>

#include <vector>

#include "corral/core/project_types.h"

namespace corral {
class InteractiveSession;
struct Error;
}  // namespace corral

namespace corral::ui {

class SessionController;

class SessionCommand : public QUndoCommand {
public:
    SessionCommand(SessionController* controller, const QString& text);
    void redo() final;
    void undo() final;

protected:
    // Return false after report() when the session refused.
    virtual bool apply() = 0;
    virtual bool revert() = 0;
    // Which views change: the clustering's (moves, renames) or the question's (answers).
    virtual bool changes_clustering() const { return true; }
    virtual bool changes_query() const { return false; }
    virtual bool answers_question() const { return false; }
    InteractiveSession& session() const;
    bool report(const QString& title, const Error& error) const;
    SessionController* controller_;
};

// An answer to the question shown. Redone only while that question is the current one again.
class AnswerCommand : public SessionCommand {
public:
    AnswerCommand(SessionController* controller, const QString& text, qint64 sample, AnswerKind kind, int cluster,
                  qint64 response_ms);

private:
    bool apply() override;
    bool revert() override;
    bool changes_clustering() const override { return false; }
    bool changes_query() const override { return true; }
    bool answers_question() const override { return true; }
    qint64 sample_;
    AnswerKind kind_;
    int cluster_;
    qint64 response_ms_;
    qint64 answer_id_ = 0;
};

// Images moved to a cluster by hand (or to a new cluster made for them), or a whole cluster
// merged into another: one step however many images.
class MoveCommand : public SessionCommand {
public:
    // To an existing cluster.
    MoveCommand(SessionController* controller, const QString& text, std::vector<qint64> items, int cluster);
    // To a new cluster named `new_cluster_name` ("" = "Cluster N").
    MoveCommand(SessionController* controller, const QString& text, std::vector<qint64> items, QString new_cluster_name);
    // Every image of `merge_from` into `cluster`.
    static MoveCommand* merge(SessionController* controller, const QString& text, int merge_from, int cluster);
    // The cluster the images went to (for a new cluster: known once done).
    int cluster() const { return cluster_; }

private:
    MoveCommand(SessionController* controller, const QString& text) : SessionCommand(controller, text) {}
    bool apply() override;
    bool revert() override;
    bool changes_query() const override { return true; }  // exemplars and candidate names of the question
    std::vector<qint64> items_;
    int cluster_ = -1;
    int merge_from_ = -1;
    bool new_cluster_ = false;
    QString new_cluster_name_;
    std::vector<std::int64_t> answer_ids_;
};

class RenameClusterCommand : public SessionCommand {
public:
    // `old_name`: the stored name, "" when the cluster had none.
    RenameClusterCommand(SessionController* controller, const QString& text, int cluster, QString old_name,
                         QString new_name);

private:
    bool apply() override;
    bool revert() override;
    bool changes_query() const override { return true; }  // the candidates' names
    int cluster_;
    QString old_name_;
    QString new_name_;
};

class RenameClusteringCommand : public SessionCommand {
public:
    RenameClusteringCommand(SessionController* controller, const QString& text, qint64 clustering_id, QString old_name,
                            QString new_name);

private:
    bool apply() override;
    bool revert() override;
    qint64 clustering_id_;
    QString old_name_;
    QString new_name_;
};

}  // namespace corral::ui
