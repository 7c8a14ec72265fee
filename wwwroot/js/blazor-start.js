// Starts Blazor (blazor.web.js is loaded with autostart="false").
// Normal pages keep .NET's default reconnect UI. The kiosk never needs a human: it retries for
// ever, and when the server answers that its circuit is gone (a restart), it reloads itself once
// the page is reachable again.
(() => {
    const isKiosk = location.pathname === "/kiosk" || location.pathname.startsWith("/kiosk/");
    if (!isKiosk) {
        Blazor.start();
        return;
    }

    const delay = ms => new Promise(resolve => setTimeout(resolve, ms));
    let process = null;

    async function reloadWhenReachable() {
        for (let attempt = 0; ; attempt++) {
            try {
                const response = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
                if (response.ok) { location.reload(); return; }
            } catch { /* still unreachable */ }
            await delay(Math.min(1000 + attempt * 500, 5000));
        }
    }

    function startReconnecting() {
        let canceled = false;
        document.body.classList.add("kiosk-offline");
        (async () => {
            for (let attempt = 0; !canceled; attempt++) {
                await delay(attempt < 5 ? 1000 : 3000);
                if (canceled) return;
                try {
                    if (await Blazor.reconnect()) return;      // the same circuit is back
                    await reloadWhenReachable();              // the server is back, the circuit is not
                    return;
                } catch { /* server unreachable: try again */ }
            }
        })();
        return { cancel: () => { canceled = true; } };
    }

    Blazor.start({
        circuit: {
            reconnectionHandler: {
                onConnectionDown: () => { process ??= startReconnecting(); },
                onConnectionUp: () => {
                    process?.cancel();
                    process = null;
                    document.body.classList.remove("kiosk-offline");
                },
            },
        },
    });
})();
