package dev.handoff.jetty.internal;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** How the routers write an address in logs and messages: {@code 127.0.0.1:46651}. Not API. */
public final class Addresses {

    private Addresses() {
    }

    /**
     * @param address resolved or not
     * @return {@code ip:port} for a resolved address, {@code host:port} as given for an unresolved one (a name is
     *     not resolved; {@code [::1]:8080} for IPv6), never {@code InetSocketAddress.toString()}'s
     *     {@code 127.0.0.1/<unresolved>:46651}
     */
    public static String text(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        boolean ipv6 = address.getAddress() instanceof Inet6Address || host.indexOf(':') >= 0;
        return (ipv6 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
