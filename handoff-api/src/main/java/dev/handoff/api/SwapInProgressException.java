package dev.handoff.api;

/** A swap was asked for while another swap of the same group was between steps 1 and 4. */
public class SwapInProgressException extends HandoffException {
    private static final long serialVersionUID = 1L;

    /**
     * @param group      the group's name
     * @param runningSwap the id of the swap that holds the group
     */
    public SwapInProgressException(String group, String runningSwap) {
        super("group '" + group + "' is already swapping (swap " + runningSwap
                + " is between launch and detach); ask to wait, or retry after it cuts over");
    }
}
