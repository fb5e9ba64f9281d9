package flopcast.measure.calibration;

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

    private static XYChart stepTime(CalibrationResult result) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Step time: predicted against measured").xAxisTitle("measured seconds per step")
                .yAxisTitle("predicted seconds per step").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        List<Double> measured = new ArrayList<>();
        List<Double> predicted = new ArrayList<>();
        List<Double> leaveOutMeasured = new ArrayList<>();
        List<Double> leaveOut = new ArrayList<>();
        for (HeldOut.StepCheck check : result.checks()) {
            measured.add(check.measuredSeconds());
            predicted.add(check.predictedSeconds());
            if (!Double.isNaN(check.leaveOutSeconds())) {
                leaveOutMeasured.add(check.measuredSeconds());
                leaveOut.add(check.leaveOutSeconds());
            }
        }
        double low = 0.5 * measured.stream().mapToDouble(Double::doubleValue).min().orElse(1);
        double high = 2 * measured.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        XYSeries line = chart.addSeries("y = x", List.of(low, high), List.of(low, high));
        line.setMarker(SeriesMarkers.NONE);
        chart.addSeries("fitted on every component row", measured, predicted).setXYSeriesRenderStyle(
                XYSeries.XYSeriesRenderStyle.Scatter);
        if (!leaveOut.isEmpty()) {
            chart.addSeries("this shape's components left out", leaveOutMeasured, leaveOut).setXYSeriesRenderStyle(
                    XYSeries.XYSeriesRenderStyle.Scatter);
        }
        return chart;
    }

    private static XYChart efficiency(CalibrationResult result, boolean matmul) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(matmul ? "Matmul efficiency (achieved / measured peak)"
                        : "Memory-bound efficiency (achieved bytes/s / measured bandwidth)")
                .xAxisTitle(matmul ? "arithmetic intensity, FLOPs per byte" : "bytes per op")
                .yAxisTitle("efficiency").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        Calibration calibration = result.calibration();
        for (OpClass op : OpClass.values()) {
            if (op.computeBound() != matmul) {
                continue;
            }
            List<Double> sizes = new ArrayList<>();
            List<Double> efficiencies = new ArrayList<>();
            for (Measurement m : result.measurements()) {
                if (m.threads() == 1 && OpClass.of(m).filter(op::equals).isPresent()) {
                    sizes.add(op.size(m.matmulFlops(), m.bytes()));
                    efficiencies.add(op.computeBound() ? m.flopsPerSecond() / calibration.peakFlopsPerSecond()
                            : m.bytesPerSecond() / calibration.bandwidthBytesPerSecond());
                }
            }
            if (!sizes.isEmpty()) {
                chart.addSeries(op.label(), sizes, efficiencies);
            }
        }
        return chart;
    }

    private static CategoryChart mfu(CalibrationResult result) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Host MFU of the training step by shape and backend").xAxisTitle("shape").yAxisTitle("MFU, %")
                .build();
        List<HeldOut.BackendStep> steps = HeldOut.byBackend(result.measurements()).stream()
                .filter(s -> !Double.isNaN(s.mfu())).toList();
        List<String> shapes = steps.stream().map(s -> CalibrationReport.shapeLabel(s.shape())).distinct().toList();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (HeldOut.BackendStep step : steps) {
            String name = step.backend() + ", " + step.threads() + (step.threads() == 1 ? " thread" : " threads");
            series.computeIfAbsent(name, k -> new ArrayList<>(java.util.Collections.nCopies(shapes.size(), 0.0)))
                    .set(shapes.indexOf(CalibrationReport.shapeLabel(step.shape())), 100 * step.mfu());
        }
        series.forEach((name, values) -> chart.addSeries(name, shapes, values));
        return chart;
    }

    private static void save(Chart<?, ?> chart, Path directory, String name, Map<String, String> written) {
        try {
            Path temporary = Files.createTempFile(directory, ".chart", ".png");
            BitmapEncoder.saveBitmap(chart, temporary.toString(), BitmapEncoder.BitmapFormat.PNG);
            Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            written.put(name, chart.getTitle());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
