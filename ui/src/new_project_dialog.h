#pragma once
// Asks what a new project is made of: the images (a folder or the bundled Fashion-MNIST), the
// encoder, how many of the images (an even sample), the number of clusters and queries per
// round, and where the project is saved. For an image folder it looks for duplicates (links
// to its own images, identical copies) on a worker thread, says how many it found, and lets
// the user keep one copy of each (the default) or every file.
#include <QDialog>

#include <memory>
#include <stop_token>

#include "corral/core/interactive_session.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTimer;

namespace corral::ui {

class NewProjectDialog : public QDialog {
    Q_OBJECT
public:
    // `dataset_spec` preselects the images ("fashion-mnist" or "folder:/path").
    explicit NewProjectDialog(const QString& dataset_spec, QWidget* parent = nullptr);
    SessionSettings settings() const;
    QString project_folder() const;

    // Where a project for these images goes unless the user says otherwise.
    static QString default_project_folder(const QString& dataset_spec);

    ~NewProjectDialog() override;

    // The label that reports the duplicates found, and the choice about them (for tests).
    QLabel* duplicates_summary() const { return duplicates_summary_; }
    QCheckBox* keep_one_copy() const { return keep_one_copy_; }
    // Whether the folder survey is still running.
    bool surveying() const { return survey_stop_ != nullptr; }

private:
    void update_encoder_field();
    void survey_images();

    QLineEdit* images_;
    QCheckBox* keep_one_copy_;
    QLabel* duplicates_summary_;
    QTimer* survey_delay_;
    std::shared_ptr<std::stop_source> survey_stop_;
    QSpinBox* image_limit_;
    QComboBox* encoder_kind_;
    QLineEdit* model_folder_;
    QSpinBox* clusters_;
    QSpinBox* round_size_;
    QLineEdit* project_folder_;
};

}  // namespace corral::ui
