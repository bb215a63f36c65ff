package dev.sluice.engine.report;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Renders a run's metrics as PNG charts with XChart (no display needed):
 *
 * <ul>
 *   <li>{@value #LOSS}: training loss per logged step, and train/eval loss per epoch;
 *   <li>{@value #ACCURACY}: train/eval accuracy per epoch;
 *   <li>{@value #THROUGHPUT}: samples/s per logged step (running mean within its epoch) and per epoch;
 *   <li>{@value #STEP_TIME}: the mean step split into data wait, host-to-device, compute and
 *       all-reduce, stacked per epoch.
 * </ul>
 *
 * A chart with nothing to show (no epoch finished yet, no accuracy logged) is not written. Files
 * are written to a temporary name and renamed, so a viewer never sees half a PNG.
 */
public final class RunPlots {

    /** Loss chart file name. */
    public static final String LOSS = "loss.png";
    /** Accuracy chart file name. */
    public static final String ACCURACY = "accuracy.png";
    /** Throughput chart file name. */
    public static final String THROUGHPUT = "throughput.png";
    /** Step-time split chart file name. */
    public static final String STEP_TIME = "step_time.png";

    private static final int WIDTH = 900;
    private static final int PANEL_HEIGHT = 420;
    private static final Color TRAIN = new Color(31, 119, 180);
    private static final Color EVAL = new Color(255, 127, 14);
    private static final Color[] PARTS = {new Color(214, 39, 40), new Color(148, 103, 189), new Color(44, 160, 44),
        new Color(255, 127, 14)};

    private RunPlots() {}

    /**
     * Writes the charts into {@code dir}.
     *
     * @return the files written, in the order listed above
     */
    public static List<Path> write(RunMetrics m, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        save(dir.resolve(LOSS), lossCharts(m), out);
        save(dir.resolve(ACCURACY), accuracyCharts(m), out);
        save(dir.resolve(THROUGHPUT), throughputCharts(m), out);
        save(dir.resolve(STEP_TIME), stepTimeCharts(m), out);
        return out;
    }

    private static List<Chart<?, ?>> lossCharts(RunMetrics m) {
        List<Chart<?, ?>> charts = new ArrayList<>();
        XYChart perStep = xy("Training loss per step", "step", "loss");
        line(perStep, "train loss", m.steps(), s -> s.step(), RunMetrics.Step::loss, TRAIN, false);
        add(charts, perStep);
        XYChart perEpoch = xy("Loss per epoch", "epoch", "loss");
        line(perEpoch, "train (epoch mean)", m.epochs(), e -> e.epoch(), RunMetrics.Epoch::trainLoss, TRAIN, true);
        line(perEpoch, "eval", m.epochs(), e -> e.epoch(), RunMetrics.Epoch::evalLoss, EVAL, true);
        wholeEpochs(perEpoch, m);
        add(charts, perEpoch);
        return charts;
    }

    private static List<Chart<?, ?>> accuracyCharts(RunMetrics m) {
        List<Chart<?, ?>> charts = new ArrayList<>();
        XYChart c = xy("Accuracy per epoch", "epoch", "accuracy");
        line(c, "train", m.epochs(), e -> e.epoch(), RunMetrics.Epoch::trainAccuracy, TRAIN, true);
        line(c, "eval", m.epochs(), e -> e.epoch(), RunMetrics.Epoch::evalAccuracy, EVAL, true);
        wholeEpochs(c, m);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        add(charts, c);
        return charts;
    }

    private static List<Chart<?, ?>> throughputCharts(RunMetrics m) {
        List<Chart<?, ?>> charts = new ArrayList<>();
        XYChart perStep = xy("Throughput per step (running mean within the epoch)", "step", "samples/s");
        line(perStep, "samples/s", m.steps(), s -> s.step(), RunMetrics.Step::samplesPerSecond, TRAIN, false);
        perStep.getStyler().setYAxisMin(0.0);
        add(charts, perStep);
        XYChart perEpoch = xy("Throughput per epoch", "epoch", "samples/s");
        line(perEpoch, "samples/s", m.epochs(), e -> e.epoch(), RunMetrics.Epoch::samplesPerSecond, TRAIN, true);
        perEpoch.getStyler().setYAxisMin(0.0);
        wholeEpochs(perEpoch, m);
        add(charts, perEpoch);
        return charts;
    }

    private static List<Chart<?, ?>> stepTimeCharts(RunMetrics m) {
        List<Integer> epochs = new ArrayList<>();
        List<List<Double>> parts = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        boolean any = false;
        for (RunMetrics.Epoch e : m.epochs()) {
            double[] v = {e.dataWaitMs(), e.hostToDeviceMs(), e.computeMs(), e.allReduceMs()};
            boolean measured = false;
            for (double x : v) {
                measured |= Double.isFinite(x);
            }
            if (!measured) {
                continue;
            }
            any = true;
            epochs.add(e.epoch());
            for (int i = 0; i < v.length; i++) {
                // a part that was not measured took no time that we know of
                parts.get(i).add(Double.isFinite(v[i]) ? Math.max(0, v[i]) : 0.0);
            }
        }
        if (!any) {
            return List.of();
        }
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(PANEL_HEIGHT)
                .title("Where a step's time goes (mean per step, rank 0)").xAxisTitle("epoch")
                .yAxisTitle("ms per step").build();
        Styler s = c.getStyler();
        c.getStyler().setStacked(true);
        c.getStyler().setOverlapped(false);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setXAxisLabelRotation(epochs.size() > 25 ? 90 : 0);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setSeriesColors(PARTS);
        String[] names = {"data wait", "host to device", "compute", "all-reduce"};
        for (int i = 0; i < names.length; i++) {
            c.addSeries(names[i], epochs, parts.get(i));
        }
        return List.of(c);
    }

    private static XYChart xy(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(PANEL_HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y)
                .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setMarkerSize(6);
        return c;
    }

    /** Adds the finite points as a series; a series with no finite point is left out. */
    private static <T> void line(XYChart c, String name, List<T> rows, ToDoubleFunction<T> x, ToDoubleFunction<T> y,
                                 Color color, boolean markers) {
        double[] xs = new double[rows.size()];
        double[] ys = new double[rows.size()];
        int n = 0;
        for (T r : rows) {
            double yv = y.applyAsDouble(r);
            if (Double.isFinite(yv)) {
                xs[n] = x.applyAsDouble(r);
                ys[n] = yv;
                n++;
            }
        }
        if (n == 0) {
            return;
        }
        XYSeries s = c.addSeries(name, java.util.Arrays.copyOf(xs, n), java.util.Arrays.copyOf(ys, n));
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(markers || n == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    /** Epoch axes show whole numbers only. */
    private static void wholeEpochs(XYChart c, RunMetrics m) {
        c.getStyler().setXAxisDecimalPattern("#0");
        // fewer ticks than epochs would otherwise produce repeated labels like 1, 1, 2, 2
        c.getStyler().setXAxisMaxLabelCount(Math.max(2, Math.min(m.epochs().size(), 20)));
    }

    private static void add(List<Chart<?, ?>> charts, XYChart c) {
        if (!c.getSeriesMap().isEmpty()) {
            // the title names a lone series; a legend box would only hide part of the line
            c.getStyler().setLegendVisible(c.getSeriesMap().size() > 1);
            charts.add(c);
        }
    }

    private static void save(Path file, List<Chart<?, ?>> charts, List<Path> written) throws IOException {
        if (charts.isEmpty()) {
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        // ImageIO's disk cache registers a shutdown hook on first use, which fails with "Shutdown in
        // progress" when the plots are drawn after SIGTERM; the images are small, memory will do
        ImageIO.setUseCache(false);
        try (OutputStream o = Files.newOutputStream(tmp)) {
            if (charts.size() == 1) {
                BitmapEncoder.saveBitmap(charts.get(0), o, BitmapEncoder.BitmapFormat.PNG);
            } else {
                BitmapEncoder.saveBitmap(charts, charts.size(), 1, o, BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        written.add(file);
    }
}
