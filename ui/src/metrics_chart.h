#pragma once
// A small line chart of NMI, ACC and ARI per round (values in [0, 1]), custom-painted so it
// follows the palette (light or dark) and needs no chart library.
#include <QWidget>

#include <vector>

namespace corral::ui {

struct RoundMetrics {
    QString label;  // "k-means", "round 1", ...
    double nmi = 0.0;
    double acc = 0.0;
    double ari = 0.0;
};

class MetricsChart : public QWidget {
    Q_OBJECT
public:
    explicit MetricsChart(QWidget* parent = nullptr);
    void set_rounds(std::vector<RoundMetrics> rounds);
    const std::vector<RoundMetrics>& rounds() const { return rounds_; }
    QSize sizeHint() const override { return {360, 200}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<RoundMetrics> rounds_;
};

}  // namespace corral::ui
