package dev.handoff.jetty.haproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HaproxyRuntimeApiTest {

    @Test
    void splitsCsvAsHaproxyQuotesIt() {
        assertThat(HaproxyRuntimeApi.splitCsv("app,s1,,\"a, \"\"b\"\"\",UP"))
                .containsExactly("app", "s1", "", "a, \"b\"", "UP");
    }

    @Test
    void validatesNamesAndArgumentsBeforeConnecting() {
        HaproxyRuntimeApi api = HaproxyRuntimeApi.create(Path.of("/nonexistent/admin.sock"), Duration.ofSeconds(1));
        assertThatThrownBy(() -> api.addServer("app", "s 1", new InetSocketAddress("127.0.0.1", 80), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server must be 1 to 64 characters among [A-Za-z0-9_.:-], but was 's 1'");
        assertThatThrownBy(() -> api.addServer("app", "s1", InetSocketAddress.createUnresolved("example.org", 80),
                false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("address must be an IP address and port, but was example.org:80");
        assertThatThrownBy(() -> HaproxyRuntimeApi.create(Path.of("x"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must be > 0, but was PT0S");
    }

    @Test
    void reportsAnUnreachableSocketNamingTheCommand() {
        HaproxyRuntimeApi api = HaproxyRuntimeApi.create(Path.of("/nonexistent/admin.sock"), Duration.ofSeconds(1));
        assertThatThrownBy(() -> api.execute("show info"))
                .isInstanceOf(HaproxyException.class)
                .hasMessageStartingWith("'show info' on /nonexistent/admin.sock failed: ");
    }

    @Test
    void serverStatTellsTrafficDrainAndIdleness() {
        assertThat(new ServerStat("app", "s1", "no check", "", 0, 0, 0, 0).isTakingTraffic()).isTrue();
        assertThat(new ServerStat("app", "s1", "UP", "L7OK", 0, 0, 0, 0).isTakingTraffic()).isTrue();
        assertThat(new ServerStat("app", "s1", "UP -1/3", "", 0, 0, 0, 0).isTakingTraffic()).isFalse();
        assertThat(new ServerStat("app", "s1", "DRAIN", "", 0, 2, 9, 0).isDraining()).isTrue();
        assertThat(new ServerStat("app", "s1", "MAINT", "", 0, 0, 9, 1).isIdle()).isFalse();
        assertThat(new ServerStat("app", "s1", "MAINT", "", 0, 0, 9, 0).isInMaintenance()).isTrue();
    }
}
