package io.convzoo.zoo.train;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/** PNG charts of a run, drawn with XChart: loss, accuracy and (segmentation) mIoU per epoch, and the confusion matrix. */
public final class TrainingCharts {

    private TrainingCharts() {}

    /** Train and validation loss per epoch. */
    public static void writeLoss(List<EpochStats> history, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Loss").xAxisTitle("epoch")
                .yAxisTitle("cross-entropy").build();
        chart.addSeries("train", epochs(history), values(history, EpochStats::trainLoss));
        chart.addSeries("validation", epochs(history), values(history, EpochStats::valLoss));
        styleAxes(chart, "0.000");
        write(chart, png);
    }

    /** Train and validation accuracy per epoch (top-1, or for a segmentation run pixel accuracy). */
    public static void writeAccuracy(List<EpochStats> history, Path png, boolean segmentation) throws IOException {
        writeMetric(history, png, "Accuracy", segmentation ? "pixel accuracy" : "top-1 accuracy",
                EpochStats::trainAccuracy, EpochStats::valAccuracy);
    }

    /** Train and validation mIoU per epoch (a segmentation run). */
    public static void writeMeanIoU(List<EpochStats> history, Path png) throws IOException {
        writeMetric(history, png, "Mean IoU", "mIoU", EpochStats::trainMeanIoU, EpochStats::valMeanIoU);
    }

    private static void writeMetric(List<EpochStats> history, Path png, String title, String axis,
                                    java.util.function.ToDoubleFunction<EpochStats> train,
                                    java.util.function.ToDoubleFunction<EpochStats> validation) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch")
                .yAxisTitle(axis).build();
        chart.addSeries("train", epochs(history), values(history, train));
        chart.addSeries("validation", epochs(history), values(history, validation));
        styleAxes(chart, "0.00");
        write(chart, png);
    }

    /** Above this many classes no confusion chart is drawn (its cells would be unreadable, the image huge). */
    public static final int CONFUSION_MAX_CLASSES = 50;

    /** The confusion matrix (rows: true class, columns: predicted) as a heat map with counts. */
    public static void writeConfusion(ModelEvaluator.Evaluation eval, Path png) throws IOException {
        write(confusionChart(eval), png);
    }

    /**
     * The confusion heat map: a sequential white-to-blue scale from 0 (white cells: nothing there)
     * to the largest count, counts printed, predicted-class labels rotated so long names do not
     * collide, sized for the class count (10 classes: 860 × 720).
     */
    static HeatMapChart confusionChart(ModelEvaluator.Evaluation eval) {
        List<String> names = eval.classNames();
        int n = names.size();
        HeatMapChart chart = new HeatMapChartBuilder().width(260 + 60 * n).height(220 + 50 * n)
                .title(String.format("Confusion matrix (accuracy %.2f%%)", 100 * eval.accuracy()))
                .xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setPlotContentSize(1);
        chart.getStyler().setRangeColors(CONFUSION_COLORS);
        chart.getStyler().setMin(0);
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                // y runs bottom-up in XChart; put the first class on top
                cells.add(new Number[] {p, n - 1 - t, eval.confusion()[t][p]});
            }
        }
        List<String> reversed = new ArrayList<>(names);
        java.util.Collections.reverse(reversed);
        chart.addSeries("counts", names, reversed, cells);
        return chart;
    }

    /** White for empty cells, then darker blues (a sequential map: more is darker). */
    static final java.awt.Color[] CONFUSION_COLORS = {java.awt.Color.WHITE, new java.awt.Color(0xC6DBEF),
        new java.awt.Color(0x6BAED6), new java.awt.Color(0x2171B5), new java.awt.Color(0x08306B)};

    /** Readable axes: whole epochs on x, fixed decimals on y, white background. */
    private static void styleAxes(XYChart chart, String yPattern) {
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern(yPattern);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setMarkerSize(6);
    }

    private static List<Integer> epochs(List<EpochStats> h) {
        return h.stream().map(EpochStats::epoch).toList();
    }

    private static List<Double> values(List<EpochStats> h, java.util.function.ToDoubleFunction<EpochStats> f) {
        return h.stream().map(s -> f.applyAsDouble(s)).toList();
    }

    private static void write(Chart<?, ?> chart, Path png) throws IOException {
        if (png.getParent() != null) {
            Files.createDirectories(png.getParent());
        }
        BufferedImage image = BitmapEncoder.getBufferedImage(chart);
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer available for " + png);
        }
    }
}
