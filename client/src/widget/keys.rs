//! Keys that no focused widget wants, turned into messages: the arrows that
//! move through a result list while the cursor stays in the search field,
//! Escape that closes a dialog.
//!
//! A subscription would see such keys too, but only in the running app; a
//! widget sees them wherever its view is used, the UI tests included.

use iced::advanced::layout::{self, Layout};
use iced::advanced::widget::{Operation, Tree};
use iced::advanced::{Clipboard, Shell, Widget, mouse, overlay, renderer};
use iced::keyboard;
use iced::{Element, Event, Length, Rectangle, Renderer, Size, Theme, Vector};

/// Wraps `content`; a key press none of its widgets captured is offered to
/// `on_key`, and the message it returns is published (and the key captured).
pub fn on_unhandled_key<'a, Message: 'a>(
    content: impl Into<Element<'a, Message>>,
    on_key: impl Fn(&keyboard::Key, keyboard::Modifiers) -> Option<Message> + 'a,
) -> Element<'a, Message> {
    Element::new(KeyCatcher {
        content: content.into(),
        on_key: Box::new(on_key),
        before_content: false,
    })
}

/// Wraps `content`; a key press is offered to `on_key` before any of its
/// widgets sees it, and the message it returns is published (and the key
/// captured, so the focused field does not act on it too): Ctrl+Enter that
/// submits a sheet whose fields take Enter themselves.
pub fn on_key_before<'a, Message: 'a>(
    content: impl Into<Element<'a, Message>>,
    on_key: impl Fn(&keyboard::Key, keyboard::Modifiers) -> Option<Message> + 'a,
) -> Element<'a, Message> {
    Element::new(KeyCatcher {
        content: content.into(),
        on_key: Box::new(on_key),
        before_content: true,
    })
}

type OnKey<'a, Message> = Box<dyn Fn(&keyboard::Key, keyboard::Modifiers) -> Option<Message> + 'a>;

struct KeyCatcher<'a, Message> {
    content: Element<'a, Message>,
    on_key: OnKey<'a, Message>,
    /// Offer keys before the content rather than what it leaves.
    before_content: bool,
}

impl<Message> Widget<Message, Theme, Renderer> for KeyCatcher<'_, Message> {
    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.content)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(std::slice::from_ref(&self.content));
    }

    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn size_hint(&self) -> Size<Length> {
        self.content.as_widget().size_hint()
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        self.content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits)
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &Renderer,
        operation: &mut dyn Operation,
    ) {
        self.content
            .as_widget_mut()
            .operate(&mut tree.children[0], layout, renderer, operation);
    }

    fn update(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, Message>,
        viewport: &Rectangle,
    ) {
        if self.before_content
            && let Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) = event
            && let Some(message) = (self.on_key)(key, *modifiers)
        {
            shell.publish(message);
            shell.capture_event();
            return;
        }
        self.content.as_widget_mut().update(
            &mut tree.children[0],
            event,
            layout,
            cursor,
            renderer,
            clipboard,
            shell,
            viewport,
        );
        if self.before_content || shell.is_event_captured() {
            return;
        }
        if let Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) = event
            && let Some(message) = (self.on_key)(key, *modifiers)
        {
            shell.publish(message);
            shell.capture_event();
        }
    }

    fn mouse_interaction(
        &self,
        tree: &Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &Renderer,
    ) -> mouse::Interaction {
        self.content.as_widget().mouse_interaction(
            &tree.children[0],
            layout,
            cursor,
            viewport,
            renderer,
        )
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        self.content.as_widget().draw(
            &tree.children[0],
            renderer,
            theme,
            style,
            layout,
            cursor,
            viewport,
        );
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut Tree,
        layout: Layout<'b>,
        renderer: &Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, Message, Theme, Renderer>> {
        self.content.as_widget_mut().overlay(
            &mut tree.children[0],
            layout,
            renderer,
            viewport,
            translation,
        )
    }
}
