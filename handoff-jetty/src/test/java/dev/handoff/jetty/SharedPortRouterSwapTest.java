package dev.handoff.jetty;

import dev.handoff.api.spi.Router;

/** The swap contract on a shared port handed from one server to the next. */
class SharedPortRouterSwapTest extends AbstractRouterSwapTest {

    private SharedPortRouter sharedPort;

    @Override
    Router newRouter() throws Exception {
        sharedPort = SharedPortRouter.builder().build().start();
        return sharedPort;
    }

    @Override
    String publicUri() {
        return "http://127.0.0.1:" + sharedPort.port();
    }

    @Override
    int publicPort() {
        return sharedPort.port();
    }

    @Override
    void closeRouter() {
        sharedPort.close();
    }
}
