"""A request's form data, read the same way by every view: a POST is a submission even when it
is empty (its errors are shown); any other method shows the blank form."""


def posted(request):
    return request.POST if request.method == "POST" else None


def posted_with_files(request) -> tuple:
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)
