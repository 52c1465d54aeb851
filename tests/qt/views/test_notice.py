"""The notice card: over the top of its host at full width, its text and buttons whole, following
the host's size — also when it was shown before the window was."""

from PySide6.QtWidgets import QWidget

from nnviz.qt.views.notice import NoticeBar

LONG = ("Training blew up at iteration 1,234: the loss jumped from 0.31 to 9.87 after the learning rate went "
        "from 0.5 to 10. The network is wrecked; roll back to the iteration before the change, with the "
        "settings you had, or reset.")


def test_a_notice_shown_before_its_window_fits_the_host_once_shown_and_follows_it(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(900, 500)
    notice = NoticeBar(host)
    notice.show_notice(LONG, [("Roll back to iteration 1,200", lambda: None), ("Reset", lambda: None)])
    host.resize(520, 400)  # the window's real size comes later, as at a first start
    host.show()
    qtbot.waitExposed(host)
    for width in (520, 700):
        host.resize(width, 400)
        qtbot.wait(20)
        assert host.rect().contains(notice.geometry())
        assert notice.width() >= width - 20  # full width, not a column
        assert notice.label.height() >= notice.label.heightForWidth(notice.label.width())  # every line
        for b in notice.buttons:
            assert notice.rect().contains(b.geometry()) and b.width() >= b.sizeHint().width()
    host_size = host.size()
    notice.buttons[-1].click()  # Dismiss
    assert notice.isHidden() and host.size() == host_size


def test_a_short_notice_is_one_row_over_the_band_and_a_long_one_keeps_its_text_whole(qtbot):
    """The first-start offer in two rows hid half of the network view's hint line; in one row it
    covers the lesson description (``band``) and nothing below it, at the centre's width in a
    1280×720 window."""
    from PySide6.QtWidgets import QLabel, QVBoxLayout

    from nnviz.qt.window.main_window import FIRST_START_OFFER

    host = QWidget()
    qtbot.addWidget(host)
    lay = QVBoxLayout(host)
    lay.setContentsMargins(0, 0, 0, 0)
    band = QLabel("<b>A lesson</b> — a description two lines long " * 6)
    band.setWordWrap(True)
    band.setFixedHeight(36)
    below = QLabel("Hover over a neuron to read its activation; click it to see how it is made.")
    lay.addWidget(band)
    lay.addWidget(below)
    lay.addStretch(1)
    notice = NoticeBar(host, band=band)
    host.resize(573, 427)
    host.show()
    qtbot.waitExposed(host)
    notice.show_notice(FIRST_START_OFFER, [("Open the guide", lambda: None)])
    qtbot.wait(20)
    assert notice.is_one_row()
    assert notice.geometry().top() >= 0 and notice.geometry().bottom() <= band.geometry().bottom()
    assert notice.geometry().height() >= band.height() - 2  # no half line of the description below it
    assert not notice.geometry().intersects(below.geometry())
    assert notice.label.height() >= notice.label.heightForWidth(notice.label.width())
    for b in notice.buttons:
        assert notice.rect().contains(b.geometry()) and b.width() >= b.sizeHint().width()
        assert b.geometry().left() > notice.label.geometry().right()  # beside the text

    band.setFixedHeight(120)  # the learner opened the description to read it: not all covered
    qtbot.wait(20)
    assert notice.is_one_row() and notice.height() <= 40

    band.setFixedHeight(36)
    notice.show_notice(LONG, [("Roll back to iteration 1,200", lambda: None)])
    qtbot.wait(20)
    assert not notice.is_one_row()
    assert notice.label.width() >= notice.width() - 30  # the text over the whole card, not beside buttons
    assert notice.label.height() >= notice.label.heightForWidth(notice.label.width())
    assert all(b.geometry().top() > notice.label.geometry().bottom() for b in notice.buttons)
