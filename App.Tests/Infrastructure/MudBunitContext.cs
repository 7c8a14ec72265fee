using Bunit;
using Microsoft.Extensions.DependencyInjection;
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
}
