package flopcast.calibration.report;

import flopcast.calibration.csv.WholeFile;
import flopcast.calibration.fit.Calibration;
import flopcast.calibration.fit.CalibrationResult;
import flopcast.calibration.fit.HeldOut;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.OpClass;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's PNG charts, drawn with XChart, each written whole or not at all. */
public final class Charts {
    public static final String STEP_TIME = "step_time.png";
    public static final String EFFICIENCY_MATMUL = "efficiency_matmul.png";
    public static final String EFFICIENCY_MEMORY = "efficiency_memory.png";
    public static final String MFU = "mfu.png";
    /** Every chart a calibration writes. */
    public static final List<String> FILES = List.of(STEP_TIME, EFFICIENCY_MATMUL, EFFICIENCY_MEMORY, MFU);
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;

    private Charts() {
    }

    /** Writes every chart into {@code directory}; returns file name to title, for the report's links. */
    public static Map<String, String> write(CalibrationResult result, Path directory) {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> written = new LinkedHashMap<>();
        save(stepTime(result), directory, STEP_TIME, written);
        save(efficiency(result, true), directory, EFFICIENCY_MATMUL, written);
        save(efficiency(result, false), directory, EFFICIENCY_MEMORY, written);
        save(mfu(result), directory, MFU, written);
        return written;
    }

    /** Each step's held-out prediction against its measured time, one series per backend and thread count. */
    private static XYChart stepTime(CalibrationResult result) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Step time: held-out prediction against measured").xAxisTitle("measured seconds per step")
                .yAxisTitle("predicted seconds per step, from the other shapes' component rows").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        double low = result.checks().stream().mapToDouble(HeldOut.StepCheck::measuredSeconds).min().orElse(1) / 2;
        double high = 2 * result.checks().stream().mapToDouble(HeldOut.StepCheck::measuredSeconds).max().orElse(1);
        XYSeries line = chart.addSeries("y = x", List.of(low, high), List.of(low, high));
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        Map<String, List<Double>> measured = new LinkedHashMap<>();
        Map<String, List<Double>> predicted = new LinkedHashMap<>();
        for (HeldOut.StepCheck check : result.checks()) {
            if (!Double.isNaN(check.leaveOutSeconds())) {
                measured.computeIfAbsent(check.label(), k -> new ArrayList<>()).add(check.measuredSeconds());
                predicted.computeIfAbsent(check.label(), k -> new ArrayList<>()).add(check.leaveOutSeconds());
            }
        }
        measured.forEach((label, x) -> chart.addSeries(label, x, predicted.get(label)));
        return chart;
    }

    /** Efficiency against size: matmuls one series per backend, thread count and pass; memory-bound ops one per backend and thread count. */
    private static XYChart efficiency(CalibrationResult result, boolean matmul) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(matmul ? "Matmul efficiency (achieved / measured peak at the row's thread count)"
                        : "Memory-bound efficiency (achieved bytes/s / probe bandwidth at the op's footprint and thread count)")
                .xAxisTitle(matmul ? "arithmetic intensity, FLOPs per byte" : "bytes per op")
                .yAxisTitle("efficiency").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        for (Calibration calibration : result.calibrations()) {
            Map<String, List<Double>> sizes = new LinkedHashMap<>();
            Map<String, List<Double>> efficiencies = new LinkedHashMap<>();
            for (Measurement m : result.measurements()) {
                var opClass = OpClass.of(m);
                if (opClass.isEmpty() || opClass.get().computeBound() != matmul || !calibration.describes(m)
                        || !m.valid()) {
                    continue;
                }
                OpClass op = opClass.get();
                String series = calibration.label() + (matmul ? ", " + op.label().replace("matmul ", "") : "");
                sizes.computeIfAbsent(series, k -> new ArrayList<>()).add(op.size(m.matmulFlops(), m.bytes()));
                efficiencies.computeIfAbsent(series, k -> new ArrayList<>()).add(op.computeBound()
                        ? m.flopsPerSecond() / calibration.peakFlopsPerSecond()
                        : m.bytesPerSecond() / calibration.bandwidthBytesPerSecond());
            }
            sizes.forEach((series, x) -> chart.addSeries(series, x, efficiencies.get(series)));
        }
        return chart;
    }

    private static CategoryChart mfu(CalibrationResult result) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Host MFU of the training step by shape and backend").xAxisTitle("shape").yAxisTitle("MFU, %")
                .build();
        List<HeldOut.BackendStep> steps = HeldOut.byBackend(result.measurements()).stream()
                .filter(s -> !Double.isNaN(s.mfu())).toList();
        List<String> shapes = steps.stream().map(s -> s.shape().describe()).distinct().toList();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (HeldOut.BackendStep step : steps) {
            String name = step.backend() + ", " + step.threads() + (step.threads() == 1 ? " thread" : " threads");
            series.computeIfAbsent(name, k -> new ArrayList<>(java.util.Collections.nCopies(shapes.size(), 0.0)))
                    .set(shapes.indexOf(step.shape().describe()), 100 * step.mfu());
        }
        series.forEach((name, values) -> chart.addSeries(name, shapes, values));
        return chart;
    }

    /**
     * Writes {@code chart}; one with no series (a run with no step timed right: no MFU to chart) is not
     * drawn, and an earlier run's file of that name is removed.
     */
    private static void save(Chart<?, ?> chart, Path directory, String name, Map<String, String> written) {
        if (chart.getSeriesMap().isEmpty()) {
            try {
                java.nio.file.Files.deleteIfExists(directory.resolve(name));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return;
        }
        WholeFile.write(directory.resolve(name), temporary -> BitmapEncoder.saveBitmap(chart, temporary.toString(),
                BitmapEncoder.BitmapFormat.PNG));
        written.put(name, chart.getTitle());
    }
}
