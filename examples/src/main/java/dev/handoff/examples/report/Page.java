package dev.handoff.examples.report;

import dev.handoff.api.StepTiming;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.SwapStep;
import dev.handoff.examples.report.SwapReport.Failure;
import dev.handoff.examples.report.SwapReport.Series;
import dev.handoff.examples.report.SwapReport.SwapEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/** Renders a {@link SwapReport} as one XHTML page with inline SVG. Not thread-safe; used once. */
final class Page {

    private static final int WIDTH = 960;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    private static final int ROW = 24;
    private static final int LABEL = 130;
    private static final int MAX_BINS = 300;
    private static final String SVG_NS = "http://www.w3.org/2000/svg";
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final Map<SwapStep, String> COLORS = new EnumMap<>(SwapStep.class);

    static {
        COLORS.put(SwapStep.LAUNCH, "#6baed6");
        COLORS.put(SwapStep.AWAIT_READY, "#9ecae1");
        COLORS.put(SwapStep.ATTACH, "#31a354");
        COLORS.put(SwapStep.DETACH, "#e6550d");
        COLORS.put(SwapStep.DRAIN, "#fd8d3c");
        COLORS.put(SwapStep.AWAIT_DRAINED, "#fdbe85");
        COLORS.put(SwapStep.DESTROY, "#969696");
        COLORS.put(SwapStep.ROLLBACK, "#d62728");
        COLORS.put(SwapStep.READMIT, "#9467bd");
        COLORS.put(SwapStep.VERIFY, "#bcbd22");
    }

    private final String title;
    private final Instant start;
    private final long endMillis;
    private final List<SwapEntry> swaps;
    private final List<String> notes;
    private final Map<String, Series> series;
    private final Map<String, ConcurrentLinkedQueue<long[]>> inFlight;
    private final ToLongFunction<Instant> offset;
    private final StringBuilder html = new StringBuilder(64 * 1024);

    Page(String title, Instant start, long endMillis, List<SwapEntry> swaps, List<String> notes,
         ConcurrentMap<String, Series> series, ConcurrentMap<String, ConcurrentLinkedQueue<long[]>> inFlight,
         ToLongFunction<Instant> offset) {
        this.title = title;
        this.start = start;
        this.endMillis = endMillis;
        this.swaps = swaps;
        this.notes = notes;
        this.series = new TreeMap<>(series);
        this.inFlight = new TreeMap<>(inFlight);
        this.offset = offset;
    }

    String render() {
        html.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
                .append("<meta charset=\"utf-8\"/>\n<title>").append(esc(title)).append("</title>\n<style>\n")
                .append("body{font:14px/1.4 sans-serif;margin:24px;color:#222;max-width:1000px}")
                .append("h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:15px;margin:18px 0 4px}")
                .append(".meta,.caption{color:#555}.notes{font-family:monospace}")
                .append("table{border-collapse:collapse;font-size:12px;margin:4px 0 8px}")
                .append("td,th{border:1px solid #ddd;padding:1px 6px;text-align:left}")
                .append(".bad{color:#c00;font-weight:bold}.legend span{display:inline-block;margin-right:12px}")
                .append(".key{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}")
                .append("svg{display:block;background:#fcfcfc;border:1px solid #eee}")
                .append("svg text{font:11px sans-serif}")
                .append("</style>\n</head>\n<body>\n");
        html.append("<h1>").append(esc(title)).append("</h1>\n");
        html.append("<p class=\"meta\">run started ").append(esc(start.toString())).append(", ")
                .append(seconds(endMillis)).append(" s; ").append(swaps.size()).append(" swap(s)</p>\n");
        if (!notes.isEmpty()) {
            html.append("<ul class=\"notes\">\n");
            for (String note : notes) {
                html.append("<li>").append(esc(note)).append("</li>\n");
            }
            html.append("</ul>\n");
        }
        workload();
        inFlightChart();
        swapSections();
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    private void workload() {
        html.append("<h2>Workload over time</h2>\n<p class=\"caption\">Rate per second, every failure a red line, "
                + "each swap a shaded band from its start to its last step (numbered as below), the cut-over a "
                + "dashed line.</p>\n");
        if (series.isEmpty()) {
            html.append("<p>No workload was recorded.</p>\n");
            return;
        }
        for (Map.Entry<String, Series> entry : series.entrySet()) {
            rateChart(entry.getKey(), entry.getValue());
        }
    }

    private void rateChart(String name, Series events) {
        long totalBins = endMillis / 100 + 1;
        long factor = Math.max(1, (totalBins + MAX_BINS - 1) / MAX_BINS);
        Map<Long, Long> bins = new TreeMap<>();
        long succeeded = 0;
        for (Map.Entry<Long, LongAdder> bin : events.successes.entrySet()) {
            long count = bin.getValue().sum();
            succeeded += count;
            bins.merge(bin.getKey() / factor, count, Long::sum);
        }
        double binSeconds = factor * 0.1;
        double maxRate = 1;
        for (long count : bins.values()) {
            maxRate = Math.max(maxRate, count / binSeconds);
        }
        int height = 190;
        int top = 18;
        int bottom = height - 24;
        html.append("<h3>").append(esc(name)).append("</h3>\n");
        svgOpen(height, "series-" + name);
        swapBands(top, bottom);
        axis(top, bottom, maxRate, name + "/s");
        StringBuilder points = new StringBuilder();
        for (long b = 0; b <= (endMillis / 100) / factor; b++) {
            long count = bins.getOrDefault(b, 0L);
            double x = x((b * factor * 100) + factor * 50);
            double y = bottom - (count / binSeconds) / maxRate * (bottom - top);
            points.append(fmt(x)).append(',').append(fmt(y)).append(' ');
        }
        html.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"")
                .append(points.toString().trim()).append("\"/>\n");
        Map<String, Long> byKind = new TreeMap<>();
        for (Failure failure : events.failures) {
            byKind.merge(failure.kind(), 1L, Long::sum);
            double x = x(failure.millis());
            html.append("<line class=\"failure\" x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x))
                    .append("\" y1=\"").append(top).append("\" y2=\"").append(bottom)
                    .append("\" stroke=\"#d00\" stroke-width=\"1\"><title>").append(esc(failure.kind()))
                    .append(" at ").append(seconds(failure.millis())).append(" s</title></line>\n");
        }
        html.append("</svg>\n");
        long failed = events.failureCount.sum();
        html.append("<p class=\"caption\">").append(esc(name)).append(": ").append(succeeded).append(" succeeded, ")
                .append(failed == 0 ? "0 failed" : "<span class=\"bad\">" + failed + " failed</span>");
        if (!byKind.isEmpty()) {
            html.append(" (");
            byKind.forEach((kind, count) -> html.append(esc(kind)).append(' ').append(count).append(", "));
            html.setLength(html.length() - 2);
            html.append(')');
        }
        Map<String, Long> aside = new TreeMap<>();
        events.aside.forEach((kind, count) -> aside.put(kind, count.sum()));
        if (!aside.isEmpty()) {
            html.append("; counted apart: ");
            aside.forEach((kind, count) -> html.append(esc(kind)).append(' ').append(count).append(", "));
            html.setLength(html.length() - 2);
        }
        html.append("</p>\n");
    }

    private void inFlightChart() {
        html.append("<h2>In flight per instance</h2>\n");
        if (inFlight.isEmpty()) {
            html.append("<p>No in-flight samples were recorded.</p>\n");
            return;
        }
        long max = 1;
        for (ConcurrentLinkedQueue<long[]> points : inFlight.values()) {
            for (long[] point : points) {
                max = Math.max(max, point[1]);
            }
        }
        int height = 220;
        int top = 18;
        int bottom = height - 24;
        svgOpen(height, "in-flight");
        swapBands(top, bottom);
        axis(top, bottom, max, "in flight");
        int color = 0;
        StringBuilder legend = new StringBuilder("<p class=\"legend\">");
        for (Map.Entry<String, ConcurrentLinkedQueue<long[]>> entry : inFlight.entrySet()) {
            String stroke = PALETTE[color++ % PALETTE.length];
            List<long[]> points = new ArrayList<>(entry.getValue());
            points.sort(Comparator.comparingLong(p -> p[0]));
            StringBuilder line = new StringBuilder();
            double lastY = Double.NaN;
            for (long[] point : points) {
                double x = x(point[0]);
                double y = bottom - (double) point[1] / max * (bottom - top);
                if (!Double.isNaN(lastY)) {
                    line.append(fmt(x)).append(',').append(fmt(lastY)).append(' ');
                }
                line.append(fmt(x)).append(',').append(fmt(y)).append(' ');
                lastY = y;
            }
            html.append("<polyline fill=\"none\" stroke=\"").append(stroke)
                    .append("\" stroke-width=\"1.5\" data-instance=\"").append(esc(entry.getKey()))
                    .append("\" points=\"").append(line.toString().trim()).append("\"><title>")
                    .append(esc(entry.getKey())).append("</title></polyline>\n");
            legend.append("<span><span class=\"key\" style=\"background:").append(stroke).append("\"></span>")
                    .append(esc(entry.getKey())).append("</span>");
        }
        html.append("</svg>\n").append(legend).append("</p>\n");
    }

    private void swapSections() {
        html.append("<h2>Swaps</h2>\n<p class=\"legend\">");
        for (SwapStep step : SwapStep.values()) {
            html.append("<span><span class=\"key\" style=\"background:").append(COLORS.get(step))
                    .append("\"></span>").append(step.number() > 0 ? step.number() + " " : "")
                    .append(SwapReport.stepName(step)).append("</span>");
        }
        html.append("<span>| dashed: cut-over; red outline: a step that failed</span></p>\n");
        if (swaps.isEmpty()) {
            html.append("<p>No swap ran.</p>\n");
        }
        for (int i = 0; i < swaps.size(); i++) {
            swapSection(i + 1, swaps.get(i));
        }
    }

    private void swapSection(int number, SwapEntry entry) {
        SwapResult result = entry.result();
        long swapStart = offset.applyAsLong(result.start());
        long span = Math.max(1, result.duration().toMillis());
        Map<String, List<StepTiming>> rows = new LinkedHashMap<>();
        for (StepTiming timing : result.steps()) {
            rows.computeIfAbsent(timing.instanceId(), id -> new ArrayList<>()).add(timing);
            span = Math.max(span, offset.applyAsLong(timing.start()) - swapStart + timing.duration().toMillis());
        }
        html.append("<section class=\"swap\" id=\"swap-").append(number).append("\" data-swap=\"")
                .append(esc(result.swapId())).append("\" data-outcome=\"").append(result.outcome()).append("\">\n");
        html.append("<h3>").append(number).append(". ").append(esc(result.swapId())).append(" &#183; ")
                .append(esc(entry.label())).append(" &#183; release ").append(esc(result.release()))
                .append(" &#183; ").append(result.outcome() == SwapOutcome.COMMITTED ? "COMMITTED"
                        : "<span class=\"bad\">" + result.outcome() + "</span>")
                .append(" in ").append(millisText(result.duration().toMillis()))
                .append(" at +").append(seconds(swapStart)).append(" s")
                .append(result.cutOver().map(c -> " &#183; cut-over +" + millisText(c.toMillis())).orElse(""))
                .append(result.abandoned() > 0 ? " &#183; <span class=\"bad\">abandoned " + result.abandoned()
                        + "</span>" : "")
                .append("</h3>\n");
        int height = 30 + rows.size() * ROW + 20;
        html.append("<svg xmlns=\"").append(SVG_NS).append("\" width=\"").append(WIDTH).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" data-swap=\"").append(esc(result.swapId())).append("\">\n");
        double scale = (WIDTH - LABEL - RIGHT) / (double) span;
        ticks(span, scale, height);
        int row = 0;
        for (Map.Entry<String, List<StepTiming>> instance : rows.entrySet()) {
            int y = 24 + row * ROW;
            html.append("<text x=\"4\" y=\"").append(y + 15).append("\">").append(esc(instance.getKey()))
                    .append("</text>\n");
            for (StepTiming timing : instance.getValue()) {
                bar(timing, swapStart, scale, y);
            }
            row++;
        }
        cutOver(result, swapStart, scale, height);
        html.append("</svg>\n");
        stepTable(result, swapStart);
        result.cause().ifPresent(cause -> html.append("<p class=\"bad\">cause: ").append(esc(String.valueOf(cause)))
                .append("</p>\n"));
        html.append("</section>\n");
    }

    private void bar(StepTiming timing, long swapStart, double scale, int y) {
        long from = offset.applyAsLong(timing.start()) - swapStart;
        double x = LABEL + from * scale;
        double width = Math.max(2, timing.duration().toMillis() * scale);
        String name = SwapReport.stepName(timing.step());
        html.append("<rect class=\"step\" data-step=\"").append(name).append("\" data-instance=\"")
                .append(esc(timing.instanceId())).append("\" x=\"").append(fmt(x)).append("\" y=\"").append(y + 2)
                .append("\" width=\"").append(fmt(width)).append("\" height=\"").append(ROW - 6)
                .append("\" fill=\"").append(COLORS.get(timing.step())).append('"')
                .append(timing.succeeded() ? "" : " stroke=\"#d00\" stroke-width=\"2\"")
                .append("><title>").append(name).append(' ').append(esc(timing.instanceId())).append(" +")
                .append(millisText(from)).append(", ").append(millisText(timing.duration().toMillis()))
                .append(timing.failure().map(f -> ", FAILED: " + esc(String.valueOf(f))).orElse(""))
                .append("</title></rect>\n");
        String text = switch (timing.step()) {
            case ROLLBACK -> "rollback";
            case READMIT -> "re-admission";
            default -> timing.step() == SwapStep.AWAIT_DRAINED && !timing.succeeded() ? "forced stop"
                    : timing.succeeded() ? (width >= name.length() * 6.2 + 4 ? name : "") : name + " failed";
        };
        if (!text.isEmpty()) {
            boolean mark = !timing.succeeded() || timing.step().number() == 0;
            html.append("<text x=\"").append(fmt(x + 2)).append("\" y=\"").append(y + 15).append('"')
                    .append(mark ? " fill=\"#900\" font-weight=\"bold\"" : "").append('>').append(text)
                    .append("</text>\n");
        }
    }

    private void cutOver(SwapResult result, long swapStart, double scale, int height) {
        result.cutOver().ifPresent(cutOver -> {
            long at = offset.applyAsLong(result.start()) - swapStart + cutOver.toMillis();
            double x = LABEL + at * scale;
            html.append("<line class=\"cut-over\" x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x))
                    .append("\" y1=\"16\" y2=\"").append(height - 16)
                    .append("\" stroke=\"#333\" stroke-dasharray=\"4 3\"><title>cut-over at +")
                    .append(millisText(at)).append("</title></line>\n");
        });
    }

    private void ticks(long span, double scale, int height) {
        long step = niceStep(span);
        for (long t = 0; t <= span; t += step) {
            double x = LABEL + t * scale;
            html.append("<line x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"18\" y2=\"")
                    .append(height - 18).append("\" stroke=\"#eee\"/><text x=\"").append(fmt(x + 2))
                    .append("\" y=\"12\" fill=\"#777\">+").append(millisText(t)).append("</text>\n");
        }
    }

    private void stepTable(SwapResult result, long swapStart) {
        html.append("<table class=\"steps\">\n<tr><th>step</th><th>instance</th><th>start</th><th>duration</th>"
                + "<th>result</th></tr>\n");
        for (StepTiming timing : result.steps()) {
            html.append("<tr data-step=\"").append(SwapReport.stepName(timing.step())).append("\"><td>")
                    .append(timing.step().number() > 0 ? timing.step().number() + " " : "")
                    .append(SwapReport.stepName(timing.step())).append("</td><td>").append(esc(timing.instanceId()))
                    .append("</td><td>+").append(millisText(offset.applyAsLong(timing.start()) - swapStart))
                    .append("</td><td>").append(millisText(timing.duration().toMillis())).append("</td><td>")
                    .append(timing.failure().map(f -> "<span class=\"bad\">FAILED " + esc(String.valueOf(f))
                            + "</span>").orElse("ok"))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private void svgOpen(int height, String id) {
        html.append("<svg xmlns=\"").append(SVG_NS).append("\" width=\"").append(WIDTH).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" data-chart=\"").append(esc(id)).append("\">\n");
    }

    private void swapBands(int top, int bottom) {
        for (int i = 0; i < swaps.size(); i++) {
            SwapResult result = swaps.get(i).result();
            long from = offset.applyAsLong(result.start());
            double x1 = x(from);
            double x2 = Math.max(x1 + 2, x(from + result.duration().toMillis()));
            html.append("<rect x=\"").append(fmt(x1)).append("\" y=\"").append(top).append("\" width=\"")
                    .append(fmt(x2 - x1)).append("\" height=\"").append(bottom - top).append("\" fill=\"")
                    .append(result.outcome() == SwapOutcome.COMMITTED ? "#9ecae1" : "#f4a582")
                    .append("\" fill-opacity=\"0.35\"><title>").append(esc(result.swapId())).append(' ')
                    .append(result.outcome()).append("</title></rect>\n<text x=\"").append(fmt(x1 + 1))
                    .append("\" y=\"").append(top - 4).append("\" fill=\"#356\">").append(i + 1).append("</text>\n");
            result.cutOver().ifPresent(cutOver -> {
                double x = x(from + cutOver.toMillis());
                html.append("<line x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"")
                        .append(top).append("\" y2=\"").append(bottom)
                        .append("\" stroke=\"#356\" stroke-dasharray=\"3 3\"/>\n");
            });
        }
    }

    private void axis(int top, int bottom, double max, String unit) {
        html.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT).append("\" y1=\"").append(top)
                .append("\" y2=\"").append(bottom).append("\" stroke=\"#999\"/>\n<line x1=\"").append(LEFT)
                .append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"").append(bottom).append("\" y2=\"")
                .append(bottom).append("\" stroke=\"#999\"/>\n");
        html.append("<text x=\"4\" y=\"").append(top + 8).append("\">").append(fmt(max)).append("</text>\n<text x=\"4\" y=\"")
                .append(bottom).append("\">0</text>\n<text x=\"4\" y=\"").append((top + bottom) / 2).append("\">")
                .append(esc(unit)).append("</text>\n");
        long step = niceStep(endMillis);
        for (long t = 0; t <= endMillis; t += step) {
            html.append("<text x=\"").append(fmt(x(t) - 6)).append("\" y=\"").append(bottom + 14)
                    .append("\" fill=\"#777\">").append(seconds(t)).append(" s</text>\n");
        }
    }

    private double x(long millis) {
        return LEFT + (double) Math.max(0, millis) / endMillis * (WIDTH - LEFT - RIGHT);
    }

    private static long niceStep(long span) {
        long[] steps = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000,
            120_000, 300_000, 600_000};
        for (long step : steps) {
            if (span / step <= 10) {
                return step;
            }
        }
        return 1_200_000;
    }

    private static String millisText(long millis) {
        return millis >= 10_000 ? seconds(millis) + " s" : millis + " ms";
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
    }

    private static String fmt(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.1f", value);
    }

    /** Escapes text and attribute values for XML. */
    static String esc(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t') {
                        out.append(' ');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
