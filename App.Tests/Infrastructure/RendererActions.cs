using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// Acting on a component that also renders on its own (a live feed's delivery, a ticker, a preview or a
/// handler that renders when its query answers): the element is found and its event raised in one turn
/// of the renderer's dispatcher. bunit reads the element's event handler id on the test's thread and then
/// queues the event on the dispatcher; a render queued in between can replace that id (every <c>@bind</c>
/// and every handler closed over a loop variable gets a new id per render, for example an item's
/// Acknowledge button: 2, then 3 after one more render), and the test fails with "There is no event
/// handler associated with this event". Each action then waits for its handler, as a person waits for
/// the page to answer.
/// </summary>
public static class RendererActions
{
    public static Task ClickAsync<T>(this IRenderedComponent<T> cut, string selector) where T : IComponent =>
        cut.RaiseAsync(() => cut.Find(selector), e => e.ClickAsync(new MouseEventArgs { Detail = 1 }));

    public static Task ClickAsync<T>(this IRenderedComponent<T> cut, Func<IElement> find) where T : IComponent =>
        cut.RaiseAsync(find, e => e.ClickAsync(new MouseEventArgs { Detail = 1 }));

    public static Task InputAsync<T>(this IRenderedComponent<T> cut, string selector, string value) where T : IComponent =>
        cut.InputAsync(() => cut.Find(selector), value);

    public static Task InputAsync<T>(this IRenderedComponent<T> cut, Func<IElement> find, string value) where T : IComponent =>
        cut.RaiseAsync(find, e => e.InputAsync(new ChangeEventArgs { Value = value }));

    public static Task ChangeAsync<T>(this IRenderedComponent<T> cut, string selector, object? value) where T : IComponent =>
        cut.RaiseAsync(() => cut.Find(selector), e => e.ChangeAsync(new ChangeEventArgs { Value = value }));

    /// <summary>Finds with <paramref name="find"/> and raises with <paramref name="raise"/> in one turn of the renderer, then waits for the handler.</summary>
    public static async Task RaiseAsync<T>(this IRenderedComponent<T> cut, Func<IElement> find, Func<IElement, Task> raise) where T : IComponent
    {
        Task handled = Task.CompletedTask;
        await cut.InvokeAsync(() => { handled = raise(find()); });
        await handled;
    }
}
