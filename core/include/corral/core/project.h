#pragma once
// A Corral project: the folder NAME.corral/ holding project.sqlite (WAL), embeddings/,
// checkpoints/ and maps/. A Project holds an exclusive lock on the folder for its lifetime, so
// a second process (or a second Project in this one) gets ErrorCode::busy. Every write method
// returns only after its transaction is durably committed; on failure nothing was changed.
// Methods are safe to call from several threads. Errors: disk_full, corrupt_data, io_error
// (read-only folder), busy, version_too_new (a project from a newer Corral is never written to).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"
#include "corral/core/project_types.h"

namespace corral {

// The schema version this build writes; projects at a higher version are refused.
inline constexpr int kProjectSchemaVersion = 1;

class Project {
public:
    // Opens an existing project folder (running any migrations to kProjectSchemaVersion). A
    // database that is empty, foreign (no Corral schema), damaged or newer is refused and left
    // byte for byte as it was.
    static Expected<std::unique_ptr<Project>> open(const std::filesystem::path& folder);
    // Opens it for reading only: nothing is written (not the lock file, no migration, no -shm
    // file unless a writer has the project open), so it works on a read-only (archived) folder
    // and beside a Corral that has the project open. While no writer has it, a shared lock keeps
    // writers out until this Project closes. Every write method fails with io_error.
    static Expected<std::unique_ptr<Project>> open_read_only(const std::filesystem::path& folder);
    // Creates a new project folder (fails if it exists); creation is atomic: a killed creation
    // leaves no half-made project behind.
    static Expected<std::unique_ptr<Project>> create(const std::filesystem::path& folder);
    static Expected<std::unique_ptr<Project>> open_or_create(const std::filesystem::path& folder);

    ~Project();
    Project(const Project&) = delete;
    Project& operator=(const Project&) = delete;

    const std::filesystem::path& folder() const;
    int schema_version() const;
    bool read_only() const;

    // --- dataset and images
    // Registers the dataset and its images (replacing an earlier registration of the same spec).
    Status set_dataset(const DatasetRecord& dataset, const std::vector<ImageRecord>& images);
    Expected<std::optional<DatasetRecord>> dataset() const;
    Expected<std::vector<ImageRecord>> images() const;
    // Re-checks every image file against its registered size (and, with `read_contents`, hash).
    Expected<std::vector<ImageProblem>> verify_images(bool read_contents, const JobContext& job = {}) const;
    // Re-reads every stored file (embeddings, maps, checkpoints) against its recorded size and CRC-32.
    Expected<std::vector<StoredFileProblem>> verify_files(const JobContext& job = {}) const;

    // --- embeddings: embeddings/ENCODER.bin, checked by size and checksum on every load
    Status store_embeddings(const std::string& encoder_id, const FloatMatrix& features);
    // not_found when none are stored; corrupt_data when the file is truncated or damaged (the
    // caller recomputes and stores again).
    Expected<FloatMatrix> load_embeddings(const std::string& encoder_id) const;
    Expected<std::vector<EncoderRecord>> encoders() const;

    // --- clusterings
    // Saves under `record.name` (replacing the assignment of a clustering of that name and keeping
    // its id, so answers stay linked); returns the id. `cluster_names` may be empty.
    Expected<std::int64_t> save_clustering(const ClusteringRecord& record);
    Expected<ClusteringRecord> clustering(std::int64_t id) const;
    Expected<ClusteringRecord> clustering_by_name(const std::string& name) const;
    Expected<std::vector<ClusteringRecord>> clusterings() const;  // without assignments
    Status set_current_clustering(std::int64_t id);
    Expected<std::optional<std::int64_t>> current_clustering_id() const;
    Status rename_cluster(std::int64_t clustering_id, int cluster, const std::string& name);
    // invalid_argument when another clustering has that name (or it is empty), not_found for an unknown id.
    Status rename_clustering(std::int64_t clustering_id, const std::string& name);

    // --- query rounds and answers
    // Opens a round for `clustering_id`; closes any round still open. Returns its id.
    Expected<std::int64_t> start_round(std::int64_t clustering_id, const std::vector<RoundSample>& samples,
                                       const std::string& parameters_json = "{}");
    Expected<QueryRound> round(std::int64_t id) const;
    Expected<std::optional<QueryRound>> open_round() const;
    Expected<std::vector<QueryRound>> rounds() const;  // every round with its samples, oldest first
    Status set_round_position(std::int64_t round_id, std::int64_t position);
    Status close_round(std::int64_t round_id);
    // Durably records the answer (and advances its round past the sample) before returning its id.
    Expected<std::int64_t> record_answer(const AnswerInput& answer);
    // Marks the newest active answer undone (never deletes it) and moves its round back to it.
    // Returns the undone answer, or not_found when there is nothing to undo.
    Expected<AnswerRecord> undo_last_answer();
    Expected<std::vector<AnswerRecord>> answers(bool include_undone = false) const;
    // Corrections as single steps (an undo history's; project_corrections.cpp). record_manual_moves
    // stores manual_move answers (no round) in one transaction and returns their ids in order.
    // undo_newest_answers marks the answers `ids` undone in one transaction, provided they are
    // exactly the newest active ones (invalid_argument otherwise, nothing changed); each round
    // moves back to the earliest of its samples undone. Returns them, newest first.
    Expected<std::vector<std::int64_t>> record_manual_moves(const std::vector<AnswerInput>& moves);
    Expected<std::vector<AnswerRecord>> undo_newest_answers(const std::vector<std::int64_t>& ids);

    // --- fine-tune runs and checkpoints
    Expected<std::int64_t> begin_run(std::optional<std::int64_t> clustering_id, const std::string& parameters_json);
    Status finish_run(std::int64_t run_id, RunStatus status, const std::string& metrics_json,
                      std::optional<std::int64_t> result_clustering_id = std::nullopt);
    Expected<std::vector<FineTuneRun>> runs() const;
    // Writes checkpoints/NAME atomically and records it for `run_id`.
    Expected<CheckpointRecord> store_checkpoint(std::int64_t run_id, int epoch, const std::string& name,
                                                std::span<const std::byte> bytes);
    // The checkpoint's bytes, verified against the recorded size and checksum (corrupt_data if not).
    Expected<std::vector<std::byte>> load_checkpoint(const CheckpointRecord& checkpoint) const;
    Expected<std::vector<CheckpointRecord>> checkpoints(std::int64_t run_id) const;

    // --- maps (2-D layouts), maps/NAME.bin
    Status store_map(const std::string& name, const FloatMatrix& layout);
    Expected<FloatMatrix> load_map(const std::string& name) const;

    // --- settings (key/value text)
    Status set_setting(const std::string& key, const std::string& value);
    Expected<std::optional<std::string>> setting(const std::string& key) const;

    // --- resume and health
    Expected<ResumeState> resume_state() const;
    // PRAGMA integrity_check: ok, or corrupt_data with SQLite's findings.
    Status check_integrity() const;

    class Impl;

private:
    explicit Project(std::unique_ptr<Impl> impl);
    static Expected<std::unique_ptr<Project>> create_project(const std::filesystem::path& folder);
    std::unique_ptr<Impl> impl_;
};

// The ImageRecords of a dataset (hashing each file, or each packed image's pixels).
Expected<std::vector<ImageRecord>> describe_images(const Dataset& dataset, const JobContext& job = {});

}  // namespace corral
