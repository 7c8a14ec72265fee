using Bunit;
using Bunit.Extensions.WaitForHelpers;
using Dashboard.App.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// The one bunit base for MudBlazor components: Mud services with no transitions, loose JS
/// interop, and <see cref="RenderWithProviders{T}"/> to render the popover provider so menus and selects work.
/// </summary>
public abstract class MudBunitContext : BunitContext
{
    protected MudBunitContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        // bunit waits one second by default for a render to satisfy a WaitFor: a query and a render on a loaded
        // 2-core machine running the suite (app hosts, Chromium) can take longer. A WaitFor that passes returns
        // at the render that satisfies it, so only a failing test waits this long.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.ThrowOnDuplicateProvider = false;
        });
    }

    /// <summary>Renders the popover provider and then the component, after all services are registered.</summary>
    protected IRenderedComponent<T> RenderWithProviders<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        // Components behave as in a live circuit (interactive server), as they do for users.
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        Render<MudPopoverProvider>();
        return parameters is null ? Render<T>() : Render<T>(parameters);
    }

    /// <summary>
    /// Waits for an assertion about what a live page shows after the test changed something. The page's feed
    /// keeps its shortest gap between deliveries on the page's clock, a fake one here: a signal that reaches the
    /// feed after the test last moved the clock waits for the next move. So the clock moves on by that gap
    /// between tries, which the assertion must not depend on (no exact durations).
    /// </summary>
    protected static void WaitForLive<T>(IRenderedComponent<T> cut, FakeTimeProvider clock, Action assertion)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        for (var attempt = 0; attempt < 40; attempt++)
        {
            try
            {
                cut.WaitForAssertion(assertion, TimeSpan.FromMilliseconds(100));
                return;
            }
            catch (WaitForFailedException)
            {
                clock.Advance(LiveFeed.DefaultMinInterval);
            }
        }
        cut.WaitForAssertion(assertion);
    }
}
