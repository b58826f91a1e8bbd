//! The interactive list of watch mode: move, jump to an exercise, reset one, show only pending.

use anyhow::Result;

use super::{Flow, Session};
use crate::{term, watch::Key};

/// The interactive list (in a terminal).
pub struct ListView {
    /// The exercise under the cursor.
    pub selected: usize,
    pub pending_only: bool,
}

impl Session<'_> {
    pub(super) fn list_key(&mut self, key: Key) -> Result<Flow> {
        let rows = self.list_rows();
        let Some(list) = &mut self.list else {
            return Ok(Flow::Continue);
        };
        let at = rows.iter().position(|&i| i == list.selected);
        match key {
            Key::Quit => return Ok(Flow::Quit),
            Key::Up => {
                list.selected = at
                    .and_then(|a| rows.get(a.checked_sub(1)?))
                    .copied()
                    .unwrap_or(list.selected)
            }
            Key::Down => {
                list.selected = at
                    .and_then(|a| rows.get(a + 1))
                    .copied()
                    .unwrap_or(list.selected)
            }
            Key::Pending => {
                list.pending_only = !list.pending_only;
                let rows = self.list_rows();
                if let Some(list) = &mut self.list
                    && !rows.contains(&list.selected)
                {
                    list.selected = rows.first().copied().unwrap_or(list.selected);
                }
            }
            Key::Enter => {
                let selected = list.selected;
                self.list = None;
                self.move_to(Some(selected))?;
                return Ok(Flow::Continue);
            }
            Key::Reset => {
                let selected = list.selected;
                self.ask_reset(selected);
                return Ok(Flow::Continue);
            }
            Key::Back | Key::List => {
                self.list = None;
                let body = self.last_body.clone();
                self.screen.body(body);
                return Ok(Flow::Continue);
            }
            _ => return Ok(Flow::Continue),
        }
        self.draw_list()?;
        Ok(Flow::Continue)
    }

    fn list_rows(&self) -> Vec<usize> {
        let pending_only = self.list.as_ref().is_some_and(|l| l.pending_only);
        (0..self.app.course.exercises.len())
            .filter(|&i| !pending_only || !self.app.state.done[i])
            .collect()
    }

    pub(super) fn draw_list(&mut self) -> Result<()> {
        let Some(list) = &self.list else {
            return Ok(());
        };
        let height = crossterm::terminal::size()
            .map_or(20, |(_, rows)| usize::from(rows))
            .saturating_sub(10);
        let mut text = Vec::new();
        let rows = self.list_rows();
        term::list_view(
            &mut text,
            &self.app.course,
            &self.app.state,
            &rows,
            list.selected,
            height,
        )?;
        self.screen
            .body(String::from_utf8_lossy(&text).into_owned());
        Ok(())
    }
}
