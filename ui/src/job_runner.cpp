#include "corral/ui/job_runner.h"

#include "worker_threads.h"

namespace corral::ui {

// Two workers: one long job (encoding, training) and one short one (k-means, selection) can
// overlap; torch parallelises inside each.
JobRunner::JobRunner(QObject* parent) : QObject(parent), pool_(std::make_unique<WorkerPool>(2)) {}

JobRunner::~JobRunner() {
    cancel_all();
    pool_->wait_for_done();
}

int JobRunner::start(const QString& title, std::function<void(const JobContext&)> work, QObject* receiver,
                     std::function<void()> done) {
    const int id = next_id_++;
    auto job = std::make_shared<RunningJob>();
    job->title = title;
    job->clock.start();
    jobs_.insert(id, job);
    QPointer<JobRunner> self(this);
    QPointer<QObject> target(receiver);
    auto report = [self, id](double fraction, std::string_view message) {
        post_to_ui_thread([self, id, fraction, text = QString::fromUtf8(message.data(), static_cast<int>(message.size()))] {
            if (self) self->on_progress(id, fraction, text);
        });
    };
    JobContext context(job->stop.get_token(), report);
    pool_->start([self, id, context, target, work = std::move(work), done = std::move(done)]() mutable {
        {
            // Destroyed before the end is announced: what the work holds (a session, the
            // project's lock) is let go by the time job_finished says the job is over.
            auto run = std::move(work);
            run(context);
        }
        post_to_ui_thread([self, id, target, done] {
            if (target && done) done();
            if (self) self->on_finished(id);
        });
    });
    Q_EMIT job_started(id, title);
    return id;
}

void JobRunner::on_progress(int id, double fraction, const QString& message) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    RunningJob& job = **it;
    const qint64 now_ms = job.clock.elapsed();
    job.estimate.add(static_cast<double>(now_ms) / 1000.0, fraction);
    // At most ~20 updates a second reach the widgets, however often the job reports.
    if (now_ms - job.last_report_ms < 50 && fraction < 1.0) return;
    job.last_report_ms = now_ms;
    Q_EMIT job_progress(id, fraction, message, job.estimate.remaining_seconds().value_or(-1.0));
}

void JobRunner::on_finished(int id) {
    jobs_.remove(id);
    Q_EMIT job_finished(id);
}

void JobRunner::cancel(int id) {
    if (auto it = jobs_.find(id); it != jobs_.end()) (*it)->stop.request_stop();
}

void JobRunner::cancel_all() {
    for (auto& job : jobs_) job->stop.request_stop();
}

void JobRunner::wait_for_all() { pool_->wait_for_done(); }

}  // namespace corral::ui
