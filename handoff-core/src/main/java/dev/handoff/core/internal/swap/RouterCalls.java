package dev.handoff.core.internal.swap;

import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Router;
import java.util.concurrent.CompletionStage;

/** Router calls the engine makes outside a swap's step 4, where nothing is timed between the two halves. Not API. */
final class RouterCalls {
    private RouterCalls() {
    }

    /**
     * {@link Router#detach}, then {@link Router#settled}: the instance is out of the rotation and the work the
     * router sent it has ended, as before destroying it or closing its intake. Each call's throw or null stage
     * fails the returned stage.
     */
    static CompletionStage<Void> detachAndSettle(Router router, Lifecycle instance) {
        return Wait.call(() -> router.detach(instance), "Router.detach")
                .thenCompose(detached -> Wait.call(() -> router.settled(instance), "Router.settled"));
    }
}
