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
