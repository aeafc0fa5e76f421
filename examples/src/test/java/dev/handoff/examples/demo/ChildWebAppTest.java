package dev.handoff.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChildWebAppTest {

    @Test
    void takesItsPortFromItsOnlyArgumentAndRejectsAnythingElse() {
        assertThat(ChildWebApp.parsePort(new String[] {"--port=8080"})).isEqualTo(8080);
        assertThatThrownBy(() -> ChildWebApp.parsePort(new String[] {"--port=0"}))
                .hasMessage("--port must be between 1 and 65535, but was 0");
        assertThatThrownBy(() -> ChildWebApp.parsePort(new String[] {"--port=http"}))
                .hasMessage("--port must be a whole number, but was 'http'");
        assertThatThrownBy(() -> ChildWebApp.parsePort(new String[] {"--port", "8080"}))
                .hasMessage("expected --port=N, but got --port 8080");
        assertThatThrownBy(() -> ChildWebApp.parsePort(new String[0]))
                .hasMessage("expected --port=N, but got ");
    }
}
