"""`python -m services.aggregate worker [faust options]`: run one aggregate worker."""

from services.aggregate.app import app

if __name__ == "__main__":
    app.main()
