#pragma once
// Asks for a new aspect clustering (Multi-Sub): the aspect (a bundled lexicon or the user's own),
// its reference words and prompt (both editable), K, the clustering's name, how long to train,
// and the CLIP model folder (remembered in QSettings). The dialog checks the request before it
// accepts (a name in use, too few words, a prompt without "*", a folder that is no CLIP model)
// and shows what is wrong inside itself; running the request is the caller's job.
#include <QDialog>
#include <QStringList>

#include <vector>

#include "corral/core/aspect_clustering.h"
#include "corral/core/aspect_lexicon.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace corral::ui {

class AspectClusteringDialog : public QDialog {
    Q_OBJECT
public:
    // `taken_names`: the project's clustering names (a new one must differ); `clusters`: default K.
    AspectClusteringDialog(QStringList taken_names, int clusters, QWidget* parent = nullptr);

    AspectClusteringRequest request() const;
    // Why the request cannot run, or empty when it can.
    QString problem() const;
    // The CLIP model folder last used for an aspect clustering (QSettings), or empty. Text search
    // uses it too when the project's own encoder is no CLIP model.
    static QString remembered_clip_model_folder();
    // Words typed as "red, green" or one per line, trimmed, without repeats.
    static std::vector<std::string> parse_words(const QString& text);

    QComboBox* aspect_box() const { return aspect_; }
    QPlainTextEdit* words_edit() const { return words_; }
    QLineEdit* prompt_edit() const { return prompt_; }
    QSpinBox* clusters_box() const { return clusters_; }
    QLineEdit* name_edit() const { return name_; }
    QComboBox* effort_box() const { return effort_; }
    QLineEdit* model_folder_edit() const { return model_folder_; }
    QPushButton* create_button() const { return create_; }
    QLabel* problem_label() const { return problem_label_; }

    void accept() override;

private:
    void on_aspect_changed(const QString& aspect);
    void update_word_count();

    QStringList taken_names_;
    std::vector<AspectLexicon> lexicons_;
    QComboBox* aspect_;
    QPlainTextEdit* words_;
    QLabel* word_count_;
    QLineEdit* prompt_;
    QSpinBox* clusters_;
    QLineEdit* name_;
    QComboBox* effort_;
    QLineEdit* model_folder_;
    QLabel* problem_label_;
    QPushButton* create_;
    bool name_edited_ = false;  // the user typed a name: changing the aspect no longer replaces it
};

}  // namespace corral::ui
