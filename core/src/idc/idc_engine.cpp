#include "corral/core/idc_engine.h"

#include "guard.h"

namespace corral {

Expected<SimulatedAnswerSource> SimulatedAnswerSource::create(const InteractiveSession& session) {
    const auto dataset = session.dataset();
    if (!dataset->has_ground_truth()) {
        return make_error(ErrorCode::invalid_argument, "a simulated user needs a dataset with ground truth");
    }
    const auto& clustering = session.clustering();
    auto user = SimulatedUser::create(dataset->labels(), clustering.assignment, clustering.cluster_count);
    if (!user) return user.error();
    return SimulatedAnswerSource(std::move(*user));
}

AnswerChoice SimulatedAnswerSource::answer(const SessionQuery& query) {
    Query asked;
    asked.sample = query.sample;
    for (const auto& candidate : query.candidates) asked.candidates.push_back({candidate.cluster, candidate.similarity, {}});
    const Answer answer = user_.answer(asked);
    return {answer.kind, answer.cluster};
}

namespace {

// The budget of round `round` (0-based): an even split, the first rounds taking the remainder.
int round_budget(const IdcRunParams& params, int round) {
    return params.queries / params.rounds + (round < params.queries % params.rounds ? 1 : 0);
}

Expected<std::vector<IdcRoundReport>> run_rounds(InteractiveSession& session, AnswerSource& source,
                                                 const IdcRunParams& params, const JobContext& job) {
    if (params.rounds < 1 || params.queries < params.rounds) {
        return make_error(ErrorCode::invalid_argument, "each round needs at least one question");
    }
    std::vector<IdcRoundReport> reports;
    for (int round = 0; round < params.rounds; ++round) {
        const auto stage = job.stage(static_cast<double>(round) / params.rounds, static_cast<double>(round + 1) / params.rounds);
        IdcRoundReport report;
        report.round = round + 1;
        Stopwatch watch;
        if (session.next_step() == SessionStep::plan_round) {
            auto plan = session.plan_round(round_budget(params, round), stage.stage(0.0, 0.1));
            if (!plan) return plan.error();
            if (auto adopted = session.adopt_round(*plan); !adopted) return adopted.error();
            report.diversity_seeds = plan->diversity_seeds;
        }
        report.selection_ms = watch.elapsed_ms();
        watch.restart();
        auto tally = answer_open_round(session, source, job);
        if (!tally) return tally.error();
        report.answers = tally->answers;
        report.positives = tally->positives;
        report.negatives = tally->negatives;
        report.skips = tally->skips;
        report.answering_ms = watch.elapsed_ms();
        watch.restart();
        report.target = session.fine_tune_target();
        auto outcome = session.train(stage.stage(0.1, 1.0));
        if (!outcome) return outcome.error();
        report.training_ms = watch.elapsed_ms();
        report.final_loss = outcome->final_loss;
        report.pseudo_labelled = outcome->pseudo_labelled;
        report.lent_labels = outcome->lent_labels;
        watch.restart();
        auto change = session.adopt_training(*outcome);
        if (!change) return change.error();
        report.adoption_ms = watch.elapsed_ms();
        report.change = std::move(*change);
        reports.push_back(std::move(report));
    }
    return reports;
}

}  // namespace

Expected<AnswerTally> answer_open_round(InteractiveSession& session, AnswerSource& source, const JobContext& job) {
    AnswerTally tally;
    while (session.next_step() == SessionStep::answer_query) {
        if (job.stop_requested()) return cancelled_error();
        const auto choice = source.answer(*session.current_query());
        auto answered = session.answer(choice.kind, choice.cluster);
        if (!answered) return answered.error();
        ++tally.answers;
        tally.positives += choice.kind == AnswerKind::positive;
        tally.negatives += choice.kind == AnswerKind::negative;
        tally.skips += choice.kind == AnswerKind::skip;
    }
    return tally;
}

Expected<std::vector<IdcRoundReport>> run_idc_rounds(InteractiveSession& session, AnswerSource& source,
                                                     const IdcRunParams& params, const JobContext& job) {
    return detail::guarded("IDC rounds", [&] { return run_rounds(session, source, params, job); });
}

}  // namespace corral
