package dev.handoff.examples.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A report page read back for tests: parsed as XML (the page is XHTML with inline SVG), so any SVG or markup that
 * is not well-formed fails the parse. The tests do not need a browser; the page is checked in a real one (headless
 * Chromium) by hand for the screenshot in {@code docs/swap-report.png}.
 *
 * @param text  the page
 * @param swaps per swap id, in page order, the names of the steps drawn for it ({@code data-step} of its bars)
 */
public record ReportPage(String text, Map<String, Set<String>> swaps) {

    /**
     * @param file a page written by {@link SwapReport#write}
     * @return the page, parsed
     * @throws Exception when it cannot be read or is not well-formed XML
     */
    public static ReportPage read(Path file) throws Exception {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document document = factory.newDocumentBuilder().parse(new ByteArrayInputStream(
                text.getBytes(StandardCharsets.UTF_8)));
        Map<String, Set<String>> swaps = new LinkedHashMap<>();
        NodeList sections = document.getElementsByTagNameNS("*", "section");
        for (int i = 0; i < sections.getLength(); i++) {
            Element section = (Element) sections.item(i);
            Set<String> steps = new LinkedHashSet<>();
            NodeList rects = section.getElementsByTagNameNS("*", "rect");
            for (int j = 0; j < rects.getLength(); j++) {
                String step = ((Element) rects.item(j)).getAttribute("data-step");
                if (!step.isEmpty()) {
                    steps.add(step);
                }
            }
            swaps.put(section.getAttribute("data-swap"), steps);
        }
        assertThat(document.getElementsByTagNameNS("*", "script").getLength()).as("scripts").isZero();
        assertThat(document.getElementsByTagNameNS("*", "link").getLength()).as("links").isZero();
        assertThat(text).doesNotContainPattern("(src|href)=\"(https?:)?//");
        assertThat(document.getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg").getLength())
                .as("inline SVG").isPositive();
        return new ReportPage(text, swaps);
    }
}
