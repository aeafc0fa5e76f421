package dev.handoff.jetty;

import dev.handoff.api.spi.Router;

/** The swap contract through the embedded front door. */
class ProxyRouterSwapTest extends AbstractRouterSwapTest {

    private ProxyRouter proxy;

    @Override
    Router newRouter() throws Exception {
        proxy = ProxyRouter.builder().build().start();
        return proxy;
    }

    @Override
    String publicUri() {
        return "http://127.0.0.1:" + proxy.port();
    }

    @Override
    int publicPort() {
        return proxy.port();
    }

    @Override
    void closeRouter() {
        proxy.close();
    }
}
