package dev.handoff.jetty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class AddressesTest {

    @Test
    void anAddressIsWrittenHostColonPortResolvedOrNot() throws Exception {
        assertThat(InetSocketAddress.createUnresolved("127.0.0.1", 46651).toString())
                .as("what the logs showed").isEqualTo("127.0.0.1/<unresolved>:46651");
        assertThat(Addresses.text(InetSocketAddress.createUnresolved("127.0.0.1", 46651))).isEqualTo("127.0.0.1:46651");
        assertThat(Addresses.text(new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080)))
                .isEqualTo("127.0.0.1:8080");
        assertThat(Addresses.text(new InetSocketAddress(InetAddress.getByName("::1"), 8080))).isEqualTo("[0:0:0:0:0:0:0:1]:8080");
        assertThat(Addresses.text(InetSocketAddress.createUnresolved("app.internal", 80))).isEqualTo("app.internal:80");
    }
}
