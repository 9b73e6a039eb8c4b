#pragma once
// Asks what a new project is made of: the images (a folder or the bundled Fashion-MNIST), the
// encoder, how many of the images (an even sample), the number of clusters and queries per
// round, and where the project is saved.
#include <QDialog>

#include "corral/core/interactive_session.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

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

private:
    void update_encoder_field();

    QLineEdit* images_;
    QSpinBox* image_limit_;
    QComboBox* encoder_kind_;
    QLineEdit* model_folder_;
    QSpinBox* clusters_;
    QSpinBox* round_size_;
    QLineEdit* project_folder_;
};

}  // namespace corral::ui
