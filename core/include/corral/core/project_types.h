#pragma once
// The records a Project stores (see project.h). Plain values; JSON-valued fields are JSON text.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corral {

// One image of the project's dataset, in dataset order.
struct ImageRecord {
    std::int64_t index = 0;
    std::string name;          // Dataset::item_name: a path relative to the folder, or "file#123"
    std::string file;          // absolute path of the file holding it (for packed formats, the packed file)
    bool packed = false;       // true when `file` holds many images (IDX, CIFAR): no file of its own
    std::int64_t size_bytes = 0;   // the file's size (packed: the decoded pixel bytes)
    std::string content_hash;  // "crc32:XXXXXXXX" of the file (packed: of the decoded pixels)
    int label = -1;            // ground truth class, -1 when unknown
};

struct DatasetRecord {
    std::string spec;         // what open_dataset() was given
    std::string description;
    std::int64_t limit = 0;   // DatasetOptions::limit used
    std::int64_t image_count = 0;
    std::vector<std::string> class_names;
};

// An image whose file no longer matches what was registered.
struct ImageProblem {
    std::int64_t index = 0;
    std::string file;
    std::string reason;  // "vanished", "unreadable: ...", "changed: ..."
};

// A stored file (embeddings, map, checkpoint) that no longer matches its recorded size and CRC-32.
struct StoredFileProblem {
    std::string file;    // relative to the project folder
    std::string kind;    // "embeddings", "map", "checkpoint"
    std::string reason;  // "missing", "truncated or changed (...)", "damaged (checksum mismatch)"
};

struct EncoderRecord {
    std::string encoder_id;
    std::string file;  // relative to the project folder
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t size_bytes = 0;
    std::uint32_t checksum = 0;
};

struct ClusteringRecord {
    std::int64_t id = 0;
    std::string name;
    std::string method;           // "kmeans", "idc-head", ...
    std::string parameters_json;  // method parameters as a JSON object
    std::string encoder_id;
    int cluster_count = 0;
    std::vector<int> assignment;             // cluster per image, -1 unassigned
    std::vector<std::string> cluster_names;  // cluster_count entries; "" = unnamed
    std::string created_at;                  // ISO 8601 UTC
};

// A sample chosen for a query round and the candidate clusters it is shown with.
struct RoundSample {
    std::int64_t sample = 0;
    double value_score = 0.0;
    std::vector<int> candidates;          // most similar first
    std::vector<double> candidate_scores; // same length as candidates
};

enum class RoundStatus { open, closed };

struct QueryRound {
    std::int64_t id = 0;
    std::int64_t clustering_id = 0;
    RoundStatus status = RoundStatus::open;
    std::int64_t position = 0;  // index into samples of the next query to show (where the user stopped)
    std::string parameters_json;
    std::vector<RoundSample> samples;
    std::string created_at;
};

enum class AnswerKind { positive, negative, skip, manual_move };

struct AnswerInput {
    std::optional<std::int64_t> round_id;       // none for a manual move outside a round
    std::optional<std::int64_t> clustering_id;  // defaults to the round's clustering
    std::int64_t sample = 0;
    std::vector<int> shown_candidates;
    AnswerKind kind = AnswerKind::skip;
    int chosen_cluster = -1;  // positive / manual_move: the cluster; otherwise -1
    std::int64_t response_ms = 0;  // how long the user looked before answering (0 = unknown)
};

struct AnswerRecord {
    std::int64_t id = 0;
    std::optional<std::int64_t> round_id;
    std::optional<std::int64_t> clustering_id;
    std::int64_t sample = 0;
    std::vector<int> shown_candidates;
    AnswerKind kind = AnswerKind::skip;
    int chosen_cluster = -1;
    std::int64_t answered_at_ms = 0;  // Unix time, milliseconds
    std::int64_t response_ms = 0;
    bool undone = false;
};

enum class RunStatus { running, finished, failed, cancelled };

struct FineTuneRun {
    std::int64_t id = 0;
    std::optional<std::int64_t> clustering_id;         // the clustering it started from
    std::optional<std::int64_t> result_clustering_id;  // the clustering it produced
    std::string parameters_json;
    RunStatus status = RunStatus::running;
    std::string metrics_json;  // "{}" until finished
    std::string started_at;
    std::string finished_at;
};

struct CheckpointRecord {
    std::int64_t id = 0;
    std::int64_t run_id = 0;
    int epoch = 0;
    std::string file;  // relative to the project folder
};

// What reopening a project brings back.
struct ResumeState {
    std::optional<std::int64_t> current_clustering_id;
    std::optional<QueryRound> open_round;  // with its position: the next query to show
    std::int64_t active_answers = 0;
};

std::string_view to_string(AnswerKind kind);
std::string_view to_string(RunStatus status);

}  // namespace corral
