#pragma once
// Asks what a new project is made of: the images (an image folder, picked or typed, or the
// bundled Fashion-MNIST: all of it, its training half or its test half), the encoder, how many
// of the images (an even sample), the number of clusters and questions per round, and where
// the project is saved.
//
// It checks as the user types: a problem (no such folder, a folder without images, a project
// of that name already there, more clusters than images, a missing model folder) is said under
// the form and Create stays disabled until it is gone. For an image folder it looks, on a worker
// thread, for duplicates (links to its own images, identical copies; one copy of each is kept
// unless unchecked) and for category folders: their number is the suggested cluster count,
// shown as a hint and filled in unless the user typed one. The last folder, encoder and
// cluster count are remembered (QSettings) for the next new project. After a build fails the
// window reopens it with every value as it was and the error at the top.
//
// Without a CLIP model the features can be learned from the images themselves ("Learn
// features from these images", the default for a folder of more than kLearnFeaturesFrom
// images unless an encoder was chosen), with a schedule whose time on this computer is shown
// before starting (FeatureLearningChoice).
#include <QDialog>

#include <memory>
#include <optional>
#include <stop_token>

#include "corral/core/dataset.h"
#include "corral/core/interactive_session.h"

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTimer;

namespace corral::ui {

class NewProjectDialog : public QDialog {
    Q_OBJECT
public:
    // `dataset_spec` preselects the images: "fashion-mnist[:train|:test]", "folder:/path" (or
    // "folder-keep-duplicates:/path"), or a plain folder; empty: the folder chosen last time.
    explicit NewProjectDialog(const QString& dataset_spec, QWidget* parent = nullptr);
    // Every value of an earlier dialog (its settings() and project_folder()), with the error
    // its build ended in said at the top.
    NewProjectDialog(const SessionSettings& previous, const QString& project_folder, const QString& build_error,
                     QWidget* parent = nullptr);
    ~NewProjectDialog() override;

    SessionSettings settings() const;
    QString project_folder() const;
    // What keeps these values from making a project (empty: nothing); shown under the form.
    QString problem() const;
    // Remembers the choices for the next dialog, then closes it as accepted.
    void accept() override;

    // Where a project for these images goes unless the user says otherwise: a free name in
    // default_projects_folder().
    static QString default_project_folder(const QString& dataset_spec);

    // The encoders offered: the combo's item data is the encoder kind ("pixels", "convnet",
    // "clip"); a kind listed in kinds_with_model_folder() needs the Model folder field.
    QComboBox* encoder_choice() const { return encoder_kind_; }
    static QStringList kinds_with_model_folder();
    // "Learn features from these images" (encoder kind "learn"): the plan to train with once the
    // project is built (it starts on pixels), or nullopt for the other encoders.
    std::optional<FeatureLearningPlan> feature_learning() const;
    class FeatureLearningChoice* learning_choice() const { return learning_; }
    // Folders of more images than this learn features by default (pixels are too weak for them).
    static constexpr qint64 kLearnFeaturesFrom = 300;

    // For tests.
    QRadioButton* folder_choice() const { return folder_choice_; }
    QRadioButton* fashion_choice() const { return fashion_choice_; }
    QComboBox* fashion_half() const { return fashion_half_; }
    QLineEdit* folder_field() const { return folder_; }
    QSpinBox* clusters_field() const { return clusters_; }
    QLineEdit* project_folder_field() const { return project_folder_; }
    QLabel* images_summary() const { return images_summary_; }
    QLabel* duplicates_summary() const { return duplicates_summary_; }
    QCheckBox* keep_one_copy() const { return keep_one_copy_; }
    QLabel* clusters_hint() const { return clusters_hint_; }
    QLabel* problem_label() const { return problem_label_; }
    QLabel* build_error_label() const { return build_error_; }
    QPushButton* create_button() const { return create_; }
    // Whether the folder survey is still running.
    bool surveying() const { return survey_stop_ != nullptr; }
    // The cluster count suggested for the images chosen (0: none).
    int suggested_clusters() const { return suggested_clusters_; }

private:
    void build();
    void restore_remembered();
    void select_dataset(const QString& dataset_spec);
    void select_encoder(const std::string& encoder_spec);
    QString dataset_spec() const;
    // The images chosen changed: survey a folder again, new default name and suggestion.
    void on_images_changed();
    void survey_images();
    void show_survey(const Expected<ImageFolderSurvey>& survey);
    void set_suggested_clusters(int clusters, const QString& why);
    void update_encoder_field();
    // Checks everything and enables Create accordingly.
    void validate();
    // How many images the project would have, when it is known.
    std::optional<qint64> image_count() const;

    QRadioButton* folder_choice_;
    QRadioButton* fashion_choice_;
    QButtonGroup* source_;
    QLineEdit* folder_;
    QPushButton* browse_folder_;
    QComboBox* fashion_half_;
    QLabel* images_summary_;
    QCheckBox* keep_one_copy_;
    QLabel* duplicates_summary_;
    QTimer* survey_delay_;
    std::shared_ptr<std::stop_source> survey_stop_;
    QString surveyed_folder_;                  // the folder survey_ describes
    std::optional<ImageFolderSurvey> survey_;  // of surveyed_folder_, when it succeeded
    QString survey_error_;
    QSpinBox* image_limit_;
    QComboBox* encoder_kind_;
    QLineEdit* model_folder_;
    class FeatureLearningChoice* learning_;
    bool encoder_chosen_ = false;  // by the user (now or last time): no default replaces it
    QSpinBox* clusters_;
    QLabel* clusters_hint_;
    QSpinBox* round_size_;
    QLineEdit* project_folder_;
    QLabel* build_error_;
    QLabel* problem_label_;
    QPushButton* create_;
    int suggested_clusters_ = 0;
    int usual_clusters_ = 10;             // remembered from the last project (10 the first time)
    bool clusters_typed_ = false;         // the user chose a cluster count: suggestions leave it
    bool setting_clusters_ = false;       // the dialog itself is changing the count
    bool project_folder_chosen_ = false;  // the user chose where to save: new images keep it
};

}  // namespace corral::ui
